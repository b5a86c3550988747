import { closest } from "fastest-levenshtein";
import { ManifestError } from "./manifest_error.ts";

/**
 * Applies one `--set PATH=VALUE` override to a raw manifest object, in place. PATH is dotted
 * (`influence.damping.factor`, `setups.7B.training.steps`); VALUE is parsed as JSON when it is valid
 * JSON (`3`, `true`, `[1,2]`, `"x"`) and taken as a plain string otherwise. Missing objects on the path
 * are created, except a new entry of `setups` (a misspelt setup name would silently add a setup); the
 * result is validated afterwards like the file.
 *
 * @param raw The raw manifest object (after JSONC parsing).
 * @param assignment The `PATH=VALUE` text.
 * @param file The manifest file name, for messages.
 * @throws {ManifestError} If the assignment has no `=`, an empty path segment or a `__proto__` segment,
 * walks into a non-object, or names a setup the manifest does not have.
 */
export function applySetOverride(raw: Record<string, unknown>, assignment: string, file: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) {
    throw new ManifestError([
      `Cannot apply --set "${assignment}" to "${file}": expected PATH=VALUE, e.g. setupDefaults.influence.strategy=kfac`,
    ]);
  }
  const path = assignment.slice(0, eq).split(".");
  const text = assignment.slice(eq + 1);
  if (path.some((seg) => seg === "")) {
    throw new ManifestError([
      `Cannot apply --set "${assignment}" to "${file}": the path has an empty segment`,
    ]);
  }
  if (path.includes("__proto__")) {
    throw new ManifestError([
      `Cannot apply --set "${assignment}" to "${file}": the path segment "__proto__" is not allowed`,
    ]);
  }
  const setups = raw.setups;
  if (
    path[0] === "setups" && path.length > 1 && isObject(setups) && Object.keys(setups).length > 0 &&
    !Object.hasOwn(setups, path[1])
  ) {
    const names = Object.keys(setups);
    const hint = names.length > 0 ? ` did you mean "${closest(path[1], names)}"?` : "";
    throw new ManifestError([
      `Cannot apply --set "${assignment}" to "${file}": it has no setup "${path[1]}";${hint} ` +
      `(--set changes the file's setups, ${names.join(", ")}; it does not add one)`,
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
    const next = Object.hasOwn(cur, path[i]) ? cur[path[i]] : undefined;
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

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
