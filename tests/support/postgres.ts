// A throwaway PostgreSQL server for tests: initdb into a temporary folder, postgres on a free
// loopback port (its unix socket in the same folder), removed at stop(). A real server, not a mock:
// the gateway's races (two replicas creating one alias) are decided by its constraints.
//
// The binaries are looked up on PATH and under /usr/lib/postgresql/<version>/bin (Debian's layout);
// findPostgres() returns undefined when there is none, and tests skip with a message saying so.
// postgres refuses to run as root: as root, the server runs as `nobody` (setpriv, which execs in
// place, so the pid we kill is postgres itself).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort } from './cluster.ts';

/** The folder holding initdb and postgres, or undefined. */
export function findPostgres(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const v of versions) dirs.push(join('/usr/lib/postgresql', v, 'bin'));
  } catch {
    // no Debian-style install
  }
  return dirs.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
}

export const NO_POSTGRES_MESSAGE = 'PostgreSQL tests skipped: no initdb/postgres on PATH or under /usr/lib/postgresql/*/bin (apt-get install postgresql)';

export class TestPostgres {
  readonly dir: string;
  port = 0;
  private child?: ChildProcess;
  private readonly bin: string;
  private readonly asRoot = process.getuid?.() === 0;

  constructor(bin: string) {
    this.bin = bin;
    this.dir = mkdtempSync(join(tmpdir(), 'tutti-pg-'));
  }

  /** postgres://… of the `postgres` database (trust auth on loopback). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private cmd(exe: string, args: string[]): [string, string[]] {
    return this.asRoot ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', join(this.bin, exe), ...args]] : [join(this.bin, exe), args];
  }

  async start(): Promise<this> {
    if (this.asRoot) chownSync(this.dir, 65534, 65534);
    const data = join(this.dir, 'data');
    const [c, a] = this.cmd('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const init = spawnSync(c, a, { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
    this.port = await freePort();
    // fsync off: a throwaway server; durability of the gateway's writes is PostgreSQL's job in production.
    const [pc, pa] = this.cmd('postgres', [
      '-D',
      data,
      '-p',
      String(this.port),
      '-k',
      this.dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ]);
    const child = spawn(pc, pa, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}): ${stderr}`);
      const c = new pg.Client({ connectionString: this.url });
      try {
        await c.connect();
        await c.end();
        return this;
      } catch {
        await c.end().catch(() => {});
        if (Date.now() > deadline) throw new Error(`postgres did not start in 20 s: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** A fresh database on this server (each test file or case its own), as a connection URL. */
  async createDatabase(name: string): Promise<string> {
    const c = new pg.Client({ connectionString: this.url });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
    } finally {
      await c.end();
    }
    return `postgres://postgres@127.0.0.1:${this.port}/${encodeURIComponent(name)}`;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      // SIGINT: PostgreSQL's "fast shutdown".
      await new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts a server, or returns undefined (after logging why) when no binary is installed. */
export async function startTestPostgres(): Promise<TestPostgres | undefined> {
  const bin = findPostgres();
  if (!bin) {
    console.warn(NO_POSTGRES_MESSAGE);
    return undefined;
  }
  return new TestPostgres(bin).start();
}
