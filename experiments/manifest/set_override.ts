import { ManifestError } from "./manifest_error.ts";

/**
 * Applies one `--set PATH=VALUE` override to a raw manifest object, in place. PATH is dotted
 * (`influence.damping.factor`, `setups.7B.training.steps`); VALUE is parsed as JSON when it is valid
 * JSON (`3`, `true`, `[1,2]`, `"x"`) and taken as a plain string otherwise. Missing objects on the path
 * are created; the result is validated afterwards like the file.
 *
 * @param raw The raw manifest object (after JSONC parsing).
 * @param assignment The `PATH=VALUE` text.
 * @param file The manifest file name, for messages.
 * @throws {ManifestError} If the assignment has no `=`, an empty path segment, or walks into a non-object.
 */
export function applySetOverride(raw: Record<string, unknown>, assignment: string, file: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) {
    throw new ManifestError([
      `Cannot apply --set "${assignment}" to "${file}": expected PATH=VALUE, e.g. influence.strategy=kfac`,
    ]);
  }
  const path = assignment.slice(0, eq).split(".");
  const text = assignment.slice(eq + 1);
  if (path.some((seg) => seg === "")) {
    throw new ManifestError([
      `Cannot apply --set "${assignment}" to "${file}": the path has an empty segment`,
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  let cur: Record<string, unknown> = raw;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]];
    if (next === undefined) cur[path[i]] = {};
    else if (next === null || typeof next !== "object" || Array.isArray(next)) {
      throw new ManifestError([
        `Cannot apply --set "${assignment}" to "${file}": ${
          path.slice(0, i + 1).join(".")
        } is not an object, got ${JSON.stringify(next)}`,
      ]);
    }
    cur = cur[path[i]] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
}
