// The FROST sessions' round machine: protocols/core/round-machine.ts with the ciphersuite in the state.
import { ProtocolError } from '../core/errors.ts';
import { RoundMachine, checkCommonInputs, checkRoundState, type RoundShape, type RoundState } from '../core/round-machine.ts';
import { frostSuite, isFrostSigningSuiteName, isFrostSuiteName, type FrostSigningSuiteName, type FrostSuite } from './suite.ts';

export { errorFromJSON, errorToJSON, type ErrorJSON, type Progress, type RoundShape } from '../core/round-machine.ts';

/** `suite`: the key suite, or for a signing session the signing suite (suite.ts, 'ed25519ph'). */
export type MachineState = RoundState & { suite: FrostSigningSuiteName };

/** Checks the parts of a snapshot every FROST session has; the session checks its own fields. */
export function checkMachineState(json: unknown, type: string): MachineState {
  const s = checkRoundState(json, type) as MachineState;
  if (!isFrostSigningSuiteName(s.suite)) throw new ProtocolError('malformed', 'snapshot: unknown suite');
  return s;
}

export abstract class FrostMachine<O, S, St extends MachineState> extends RoundMachine<O, S, St> {
  protected readonly suite: FrostSuite;

  protected constructor(state: St, shapes: readonly RoundShape[]) {
    super(state, shapes);
    this.suite = frostSuite(state.suite);
  }
}

/** Input checks every factory shares; anything wrong is 'bad-parameters'. */
export function checkSessionInputs(o: { suite: unknown; sessionId: unknown; rng: unknown }): void {
  if (!isFrostSuiteName(o.suite)) throw new ProtocolError('bad-parameters', `unknown FROST suite '${String(o.suite)}'`);
  checkCommonInputs(o);
}
