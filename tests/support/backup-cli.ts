// The operator's CLI as the backup drills run it (tests/e2e/backup-drill*.test.ts): `tutti <args>`
// in a child process, exit code and output kept. Not a test file.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cliArgs } from '../../services/main/cluster.ts';

export async function tutti(args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...cliArgs(), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}
