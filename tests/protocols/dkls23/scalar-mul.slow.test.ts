// The sweep of scalar-mul.test.ts in the slow tier (`npm run test:slow`, CI): 40 random scalars
// and four random points beside ±G on both curves, with every special scalar (scalar-mul-cases.ts).
import { scalarMulCases } from './scalar-mul-cases.ts';

scalarMulCases(' (sweep)', 40, 4);
