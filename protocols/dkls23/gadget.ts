// The public gadget vector g of the random VOLE (DKLs23 Protocol 5.2; research notes §1.4
// "hash-derived gadget vector g"): χ = ⟨g, β⟩ for Bob's choice bits β. Used by rvole.ts and by
// its WebAssembly row kernel (kernel/vole-kernel.ts).
import { LABELS } from '../core/labels.ts';
import type { DklsCurve } from './curve.ts';
import { hashToScalar, u16 } from './hash.ts';
import { XI } from './params.ts';

const gadgets = new Map<string, bigint[]>();
/** g_i = H(label, curve, i) mod q for i < ξ: public, the same for every session (cached). */
export function gadget(curve: DklsCurve): bigint[] {
  let g = gadgets.get(curve.name);
  if (!g) {
    const name = new TextEncoder().encode(curve.name);
    g = Array.from({ length: XI }, (_, i) => hashToScalar(curve, LABELS.dkls23VoleGadget, name, u16(i)));
    gadgets.set(curve.name, g);
  }
  return g;
}
