/**
 * An error caused by the user's input or environment (a missing file, a corrupted artifact, no GPU
 * adapter, a bad command-line flag), not by a bug. The command-line tools print its message alone, with
 * no stack trace, and exit with status 1.
 */
export class UserError extends Error {
  /**
   * Creates the error.
   *
   * @param message One line naming the file or value, what was expected and what was found.
   */
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}
