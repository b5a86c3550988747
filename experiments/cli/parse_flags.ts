import { parseArgs, type ParseArgsConfig } from "node:util";
import { closest, distance } from "fastest-levenshtein";
import { UserError } from "../run/user_error.ts";

/**
 * `parseArgs` from `node:util` with the harness's wording for bad flags: one line naming the flag, the
 * closest known one when there is one, and a pointer to `--help`.
 *
 * @param config The `parseArgs` configuration (its `args` are the command's arguments).
 * @returns What `parseArgs` returns.
 * @throws {UserError} For an unknown flag, a flag without its value, or a value given to a switch.
 * @example
 * ```ts
 * import { parseFlags } from "./parse_flags.ts";
 * const { values } = parseFlags({ args: ["--out", "x"], options: { out: { type: "string" } } });
 * console.assert(values.out === "x");
 * ```
 */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? "";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const known = Object.keys(config.options ?? {}).map((name) => `--${name}`);
      const best = known.length > 0 ? closest(flag, known) : undefined;
      const hint = best && distance(flag, best) <= Math.max(2, Math.floor(best.length / 3))
        ? ` (did you mean ${best}?)`
        : "";
      throw new UserError(`Unknown flag ${flag}${hint}; see --help`);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      if (message.includes("argument missing")) throw new UserError(`Flag ${flag} needs a value; see --help`);
      throw new UserError(`Flag ${flag} takes no value; see --help`);
    }
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      throw new UserError(`Unexpected argument: ${message}; see --help`);
    }
    throw error;
  }
}
