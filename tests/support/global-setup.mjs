// Jest's global setup (jest.config.js), once per run before any test file: bundles the daemons
// (scripts/bundle-daemons.mjs) and points TUTTI_CLI_BUNDLE at the bundle, so every gateway, party
// and CLI command the tests start (services/main/cluster.ts cliArgs) loads plain JavaScript instead
// of TypeScript through tsx: ≈ 1 CPU-s per party start instead of ≈ 4 (docs/benchmarks.md "Test
// suite time"). The jest workers inherit the variable. A run that sets TUTTI_CLI_BUNDLE itself
// keeps it; empty starts the daemons from source through tsx, as `npm start` does.
// Plain JavaScript: jest imports a global setup module natively, without its transform.
import { bundleDaemons } from '../../scripts/bundle-daemons.mjs';

export default async function globalSetup() {
  if (process.env.TUTTI_CLI_BUNDLE !== undefined) return;
  process.env.TUTTI_CLI_BUNDLE = await bundleDaemons();
}
