// The single secret-scalar multiplications of signing (scalar-mul.ts) against noble's multiply
// (scalar-mul-cases.ts): every special scalar (small, even, odd, extreme, GLV halves zero, even or
// odd), 8 random scalars and one random point beside ±G; the sweep over 40 random scalars and four
// random points is in scalar-mul.slow.test.ts (the slow tier).
import { scalarMulCases } from './scalar-mul-cases.ts';

scalarMulCases('', 8, 1);
