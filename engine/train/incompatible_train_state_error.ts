/**
 * The error for a saved training state that belongs to another run.
 *
 * @module
 */

/**
 * Thrown when a training state was saved with different settings, another corpus or a model of
 * another shape, so resuming from it would mix two runs. Callers may catch it to start afresh.
 */
export class IncompatibleTrainStateError extends Error {
  /**
   * An error with the given message.
   *
   * @param message Sentence naming what differs.
   */
  constructor(message: string) {
    super(message);
    this.name = "IncompatibleTrainStateError";
  }
}
