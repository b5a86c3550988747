import { dirname, resolve } from "node:path";
import { UserError } from "./user_error.ts";

/**
 * Checks that a folder the command will write into (`--out`, `--cache`) can be one: it is a folder or
 * does not exist yet, and the nearest existing folder above it is a folder, not a file. Runs before
 * anything is written, so a bad flag fails with one line instead of a file-system error mid-run.
 *
 * @param path The folder as given.
 * @param flag How the user gave it, for the message (e.g. `--cache`).
 * @throws {UserError} When the path or one above it is a file, or a symbolic link loop.
 * @example
 * ```ts
 * import { checkOutputFolder } from "./output_folder.ts";
 * await checkOutputFolder(Deno.makeTempDirSync(), "--out");
 * ```
 */
export async function checkOutputFolder(path: string, flag: string): Promise<void> {
  let current = resolve(path);
  for (;;) {
    let info: Deno.FileInfo | null = null;
    try {
      info = await Deno.stat(current);
    } catch (error) {
      if (error instanceof Deno.errors.FilesystemLoop) {
        throw new UserError(`${flag} "${path}": "${current}" is a symbolic link loop, expected a folder`);
      }
      if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) {
        throw new UserError(`${flag} "${path}": "${current}" cannot be used (${(error as Error).message})`);
      }
    }
    if (info !== null) {
      if (info.isDirectory) return;
      const what = current === resolve(path) ? "it is a file" : `"${current}" is a file`;
      throw new UserError(`${flag} "${path}" must be a folder or not exist yet, but ${what}`);
    }
    const parent = dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
