/**
 * The checks that a saved training state can continue the run at hand.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { IncompatibleTrainStateError } from "./incompatible_train_state_error.ts";
import { settingsChanges } from "./train_fingerprint.ts";
import type { TrainState } from "./train_state.ts";

const PREFIX = "Cannot resume training";

/**
 * Checks that a state holds exactly the model's parameters with the model's shapes, was made with the
 * same settings (by hash), and is not past the last step.
 *
 * @param state The decoded state.
 * @param params The model's parameters.
 * @param fingerprint Canonical settings JSON and hash of the run at hand.
 * @param steps Total steps of the run.
 * @throws {IncompatibleTrainStateError} Naming the first parameter that differs, or every setting that
 * changed.
 */
export function checkResumable(
  state: TrainState,
  params: ReadonlyMap<string, Tensor>,
  fingerprint: { json: string; hash: string },
  steps: number,
): void {
  for (const [name, tensor] of params) {
    const saved = state.params.get(name);
    if (saved === undefined) {
      throw new IncompatibleTrainStateError(`${PREFIX}: the saved state has no parameter "${name}"`);
    }
    if (saved.shape.length !== tensor.shape.length || saved.shape.some((d, i) => d !== tensor.shape[i])) {
      throw new IncompatibleTrainStateError(
        `${PREFIX}: parameter "${name}" has shape [${saved.shape}] in the saved state, [${tensor.shape}] in the model`,
      );
    }
  }
  for (const name of state.params.keys()) {
    if (!params.has(name)) {
      throw new IncompatibleTrainStateError(
        `${PREFIX}: the saved state has parameter "${name}" the model lacks`,
      );
    }
  }
  if (state.settingsHash !== fingerprint.hash) {
    const changes = settingsChanges(state.settings, fingerprint.json);
    throw new IncompatibleTrainStateError(
      `${PREFIX}: the saved state was made with other settings: ${changes.join(", ") || "(hash differs)"}`,
    );
  }
  if (state.step > steps) {
    throw new IncompatibleTrainStateError(
      `${PREFIX}: the saved state is at step ${state.step}, past ${steps}`,
    );
  }
}
