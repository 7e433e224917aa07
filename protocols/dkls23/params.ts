// DKLs23 parameters in one place (Doerner–Kondi–Lee–shelat, eprint 2023/765; the values are the
// ones research notes §1.4 list for the audited Silence Laboratories build, which we match so
// that the same security analysis applies).

/** κ: bits of a scalar of either curve; also the number of base OTs per ordered pair. */
export const KAPPA = 256;
/** s: statistical security parameter (bits) of the VOLE and OT-extension checks. */
export const STAT_SECURITY = 128;
/** ξ = κ + 2s: extended OTs per random VOLE (DKLs23 Protocol 5.2 "ξ"). */
export const XI = KAPPA + 2 * STAT_SECURITY;
/** ξ plus one 128-bit block of random rows that masks the OT-extension check (KOS15 Fig. 10). */
export const OTE_ROWS = XI + 128;
export const OTE_ROW_BYTES = OTE_ROWS / 8;
/** SoftSpokenOT k (Roy, eprint 2022/192): each all-but-one OT is 1-of-2^k. */
export const SOFTSPOKEN_K = 4;
export const SOFTSPOKEN_Q = 1 << SOFTSPOKEN_K;
/** κ/k all-but-one OT instances ("blocks") per ordered pair. */
export const OTE_BLOCKS = KAPPA / SOFTSPOKEN_K;
/** GF(2^128) chunks of data rows in the OT-extension check (ξ/128); the 5th chunk is the mask. */
export const OTE_CHECK_CHUNKS = XI / 128;
/** Bytes of one OT-extension output row (κ bits). */
export const OTE_COLUMN_BYTES = KAPPA / 8;
/** Bytes of a seed, a PRG key, a hash output. */
export const SEED_BYTES = 32;
/** Bytes of the randomness of a hash commitment. */
export const COMMITMENT_RANDOMNESS_BYTES = 32;
/** Number of VOLE inputs the signing protocol needs (DKLs23 Protocol 3.6: r_i and sk_i). */
export const SIGN_VOLE_INPUTS = 2;
/** The largest number of parties a DKLs23 key may have (issue 4: 2 ≤ t ≤ n ≤ 10). */
export const MAX_PARTIES = 10;
