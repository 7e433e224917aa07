// An Ed25519ph verifier written from RFC 8032 alone (§5.1.3 decoding, §5.1.7 verification with
// dom2(1, "") and PH = SHA-512), BigInt arithmetic and node:crypto's SHA-512: a second verifier
// that shares no code with noble (which the parties' FROST and noble's own ed25519ph both use).
// Node 20's OpenSSL 3.0 has no Ed25519ph, so node:crypto cannot check these signatures itself.
// Slow (affine-free extended coordinates, double-and-add) and for tests only.
import { createHash } from 'node:crypto';

const p = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = (a: bigint, m = p): bigint => ((a % m) + m) % m;
const pow = (b: bigint, e: bigint, m = p): bigint => {
  let r = 1n;
  b = mod(b, m);
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
};
const inv = (a: bigint): bigint => pow(a, p - 2n);
const d = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (p - 1n) / 4n);
type P = [bigint, bigint, bigint, bigint]; // extended (X, Y, Z, T), RFC 8032 §5.1.4

function add([X1, Y1, Z1, T1]: P, [X2, Y2, Z2, T2]: P): P {
  const A = mod((Y1 - X1) * (Y2 - X2)),
    B = mod((Y1 + X1) * (Y2 + X2));
  const C = mod(2n * T1 * T2 * d),
    D = mod(2n * Z1 * Z2);
  const E = B - A,
    F = D - C,
    G = D + C,
    H = B + A;
  return [mod(E * F), mod(G * H), mod(F * G), mod(E * H)];
}
function mul(s: bigint, P0: P): P {
  let Q: P = [0n, 1n, 1n, 0n];
  let R = P0;
  for (; s > 0n; s >>= 1n, R = add(R, R)) if (s & 1n) Q = add(Q, R);
  return Q;
}
const eq = ([X1, Y1, Z1]: P, [X2, Y2, Z2]: P): boolean => mod(X1 * Z2 - X2 * Z1) === 0n && mod(Y1 * Z2 - Y2 * Z1) === 0n;
const le = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).reverse().toString('hex') || '0'}`);

/** RFC 8032 §5.1.3; null for a non-canonical or invalid encoding. */
function decode(b: Uint8Array): P | null {
  if (b.length !== 32) return null;
  const y = le(b) & ((1n << 255n) - 1n);
  const sign = b[31]! >> 7;
  if (y >= p) return null;
  const u = mod(y * y - 1n),
    v = mod(d * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (p - 5n) / 8n));
  if (mod(v * x * x) !== u) {
    if (mod(v * x * x) !== mod(-u)) return null;
    x = mod(x * SQRT_M1);
  }
  if (x === 0n && sign === 1) return null;
  if (Number(x & 1n) !== sign) x = p - x;
  return [x, y, 1n, mod(x * y)];
}

const G = decode(Buffer.from('5866666666666666666666666666666666666666666666666666666666666666', 'hex'))!;
const sha512 = (...parts: Uint8Array[]): Uint8Array => createHash('sha512').update(Buffer.concat(parts)).digest();

/** Ed25519ph(M) verification, RFC 8032 §5.1.7 with phflag 1 and an empty context: cofactorless [S]B = R + [k]A. */
export function referenceEd25519phVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const A = decode(publicKey),
    R = decode(signature.subarray(0, 32));
  const S = le(signature.subarray(32));
  if (!A || !R || S >= L) return false;
  const dom2 = Buffer.concat([Buffer.from('SigEd25519 no Ed25519 collisions'), Buffer.from([1, 0])]);
  const k = mod(le(sha512(dom2, signature.subarray(0, 32), publicKey, sha512(message))), L);
  return eq(mul(S, G), add(R, mul(k, A)));
}
