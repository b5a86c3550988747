/**
 * Atomic file replacement.
 *
 * @module
 */

/**
 * A random suffix for temporary names.
 *
 * @returns 12 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomSuffix } from "./atomic_write.ts";
 * assert.match(randomSuffix(), /^[0-9a-f]{12}$/);
 * ```
 */
export function randomSuffix(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

/**
 * Writes a text file atomically: the text goes to a temporary file in the same directory, is
 * flushed to disk, and is renamed over `path`. Readers see the old file or the new one, never a
 * partial one; on failure the temporary file is removed and `path` is untouched.
 *
 * @param path Destination file; its directory must exist.
 * @param text UTF-8 text to write.
 * @throws {Deno.errors.NotFound} If the directory does not exist, and other filesystem errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeTextFileAtomic } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeTextFileAtomic(`${dir}/a.txt`, "hello");
 * assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${randomSuffix()}`;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true });
    try {
      const bytes = new TextEncoder().encode(text);
      for (let written = 0; written < bytes.length;) written += await file.write(bytes.subarray(written));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
