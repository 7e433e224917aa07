// Bundles the embedded party for browsers (docs/waas.md "Browser bundle"): one ESM file from
// src/index.ts, with three swaps where shared service code is Node-only — session-keys.ts (OpenSSL
// X25519 → noble), session-host.ts (worker threads → inline) and any other node:crypto import
// (stubs that throw; no browser path calls them) — and `buffer` for Node's Buffer.
//
//   node --import tsx packages/party-client/build.ts [outfile]      (default: dist/party-client.js)
import { build, type BuildResult, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(new URL('.', import.meta.url));

const swaps: Plugin = {
  name: 'tutti-browser-swaps',
  setup(b) {
    b.onResolve({ filter: /(^|\/)session-keys\.ts$/ }, (a) =>
      a.importer.includes('/src/browser/') ? undefined : { path: join(here, 'src/browser/session-keys.ts') },
    );
    b.onResolve({ filter: /(^|\/)session-host\.ts$/ }, (a) =>
      a.importer.includes('/src/browser/') ? undefined : { path: join(here, 'src/browser/session-host.ts') },
    );
    b.onResolve({ filter: /^(node:)?crypto$/ }, () => ({ path: join(here, 'src/browser/node-crypto.ts') }));
  },
};

/** Builds `entry` (default: the library itself) for browsers. */
export function buildBrowser(o: { entry?: string; outfile: string; minify?: boolean }): Promise<BuildResult> {
  return build({
    entryPoints: [o.entry ?? join(here, 'src/index.ts')],
    outfile: o.outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: o.minify ?? true,
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
    inject: [join(here, 'src/browser/node-globals.ts')],
    define: { 'process.env': '{}' },
    plugins: [swaps],
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outfile = process.argv[2] ?? join(here, 'dist/party-client.js');
  const r = await buildBrowser({ outfile });
  const bytes = Object.values(r.metafile!.outputs)[0]!.bytes;
  console.log(`${outfile}: ${bytes} bytes`);
}
