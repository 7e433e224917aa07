// The DKLs23 sessions' round machine: protocols/core/round-machine.ts with the curve in the state.
import { ProtocolError } from '../core/errors.ts';
import { RoundMachine, checkCommonInputs, checkRoundState, type RoundShape, type RoundState } from '../core/round-machine.ts';
import { dklsCurve, isDklsCurveName, type DklsCurve, type DklsCurveName } from './curve.ts';

export { errorFromJSON, errorToJSON, type ErrorJSON, type Progress, type RoundShape } from '../core/round-machine.ts';

export type MachineState = RoundState & { curve: DklsCurveName };

/** Checks the parts of a snapshot every DKLs23 session has; the session checks its own fields. */
export function checkMachineState(json: unknown, type: string): MachineState {
  const s = checkRoundState(json, type) as MachineState;
  if (!isDklsCurveName(s.curve)) throw new ProtocolError('malformed', 'snapshot: unknown curve');
  return s;
}

export abstract class DklsMachine<O, S, St extends MachineState> extends RoundMachine<O, S, St> {
  protected readonly curve: DklsCurve;

  protected constructor(state: St, shapes: readonly RoundShape[]) {
    super(state, shapes);
    this.curve = dklsCurve(state.curve);
  }
}

/** Input checks every factory shares; anything wrong is 'bad-parameters'. */
export function checkSessionInputs(o: { curve: unknown; sessionId: unknown; rng: unknown }): void {
  if (!isDklsCurveName(o.curve)) throw new ProtocolError('bad-parameters', `unknown DKLs23 curve '${String(o.curve)}'`);
  checkCommonInputs(o);
}
