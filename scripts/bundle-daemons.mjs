// Bundles the daemons for the test run (docs/benchmarks.md "Test suite time", "Daemons from a
// bundle"): services/main/cli.ts (gateway, party, the supervisor and the operator commands) and the
// party's session worker (services/party/session-worker.ts), as ES modules with shared chunks, into
// one folder. Started from source, every process loads a few hundred TypeScript modules through
// tsx's loader hooks (≈ 2 CPU-s per process, ≈ 1 more per session worker); the bundle is plain
// JavaScript that Node loads directly. Packages are bundled too (node_modules' own module graph
// costs as much to load as ours), but for the native or optional-native ones (better-sqlite3, pg,
// ws's helpers) and @peculiar/x509, which certificates.ts imports only after its Reflect polyfill
// and whose bundled CommonJS build lost its named exports there; those Node loads from the repo's
// node_modules (the folder is inside the repo).
//
// The three places that find a file of their own by `import.meta.url` (every module's is the
// bundle's, once bundled) read a constant that esbuild defines here instead: the CLI
// (services/main/cluster.ts), the session worker (services/party/session-host.ts) and the
// console's static files (services/console/console-api.ts). From source those constants are not
// defined and nothing changes: `npm start` runs through tsx as before.
//
// Plain JavaScript, so that jest's global setup (tests/support/global-setup.mjs) can import it.
//
//   node scripts/bundle-daemons.mjs      (prints the bundled CLI's path)
import { build, stop } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE_ROOT = join(root, '.build', 'daemons');

/**
 * Builds the bundle and returns the CLI's path: `.build/daemons/<hash of the output>/cli.js`. A
 * folder is named by what it holds and never rewritten (written beside it, then renamed into
 * place), so a process of another run that loads a chunk late (a session worker restarting) still
 * finds the files it was built with. Folders of other builds older than a day are removed.
 *
 * @param {string} [bundleRoot]
 * @returns {Promise<string>}
 */
export async function bundleDaemons(bundleRoot = BUNDLE_ROOT) {
  const result = await build({
    entryPoints: { cli: join(root, 'services/main/cli.ts'), 'session-worker': join(root, 'services/party/session-worker.ts') },
    outdir: '/',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['better-sqlite3', 'pg', 'pg-native', 'bufferutil', 'utf-8-validate', '@peculiar/x509'],
    logLevel: 'warning',
    // The CommonJS packages inside call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __tuttiCreateRequire } from 'node:module'; const require = __tuttiCreateRequire(import.meta.url);" },
    write: false,
    // Relative to the bundle's own modules (they are all in one folder); the console's files are
    // the repo's.
    define: {
      TUTTI_BUNDLED_CLI: JSON.stringify('./cli.js'),
      TUTTI_BUNDLED_SESSION_WORKER: JSON.stringify('./session-worker.js'),
      TUTTI_BUNDLED_CONSOLE_DIR: JSON.stringify(join(root, 'services/console/public')),
    },
  });
  // esbuild's service process would otherwise stay for the whole jest run.
  await stop();
  const hash = createHash('sha256');
  for (const f of result.outputFiles) hash.update(f.path).update(f.contents);
  const dir = join(bundleRoot, hash.digest('hex').slice(0, 16));
  if (!existsSync(join(dir, 'cli.js'))) {
    const tmp = `${dir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const f of result.outputFiles) writeFileSync(join(tmp, f.path), f.contents);
    // ES modules: without "type": "module" above them, .js files would be read as CommonJS.
    writeFileSync(join(tmp, 'package.json'), '{ "type": "module" }\n');
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another run put the same bundle in place first
    }
  }
  for (const other of readdirSync(bundleRoot)) {
    const p = join(bundleRoot, other);
    if (p !== dir && Date.now() - statSync(p).mtimeMs > 86_400_000) rmSync(p, { recursive: true, force: true });
  }
  return join(dir, 'cli.js');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(await bundleDaemons());
}
