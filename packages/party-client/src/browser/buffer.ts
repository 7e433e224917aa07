// The shared transport code uses Node's Buffer for base64 and binary frames; in the bundle the
// `buffer` package (pure JS, the same API) stands in for it (build.ts `inject`).
export { Buffer } from 'buffer';
