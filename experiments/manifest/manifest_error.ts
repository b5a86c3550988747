/**
 * A manifest that cannot be used: bad JSONC, a bad value, an unknown key, a bad `--set`. The message
 * is meant for the user as is (one line per problem, no stack trace needed).
 */
export class ManifestError extends Error {
  /** One line per problem found, each naming the file, the JSON path, what was expected and found. */
  readonly problems: readonly string[];

  /**
   * Creates the error.
   *
   * @param problems The problem lines; the message joins them with newlines.
   */
  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.name = "ManifestError";
    this.problems = problems;
  }
}
