/**
 * Atomic file replacement.
 *
 * @module
 */

import { dirname } from "node:path";

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
 * Writes a file atomically, the one implementation every writer of the project uses: the data goes to a
 * temporary file in the same directory (created if missing), is flushed to disk, and is renamed over
 * `path`. Readers see the old file or the new one, never a partial one; on failure the temporary file is
 * removed and `path` is untouched.
 *
 * @param path Destination file; its directory is created if missing.
 * @param data Bytes, or text written as UTF-8.
 * @throws {Deno.errors.PermissionDenied} And other filesystem errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomicWrite } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await atomicWrite(`${dir}/sub/a.bin`, new Uint8Array([1, 2]));
 * assert.deepEqual(await Deno.readFile(`${dir}/sub/a.bin`), new Uint8Array([1, 2]));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function atomicWrite(path: string, data: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${randomSuffix()}`;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true });
    try {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
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

/**
 * Writes a text file atomically ({@linkcode atomicWrite} of UTF-8 text).
 *
 * @param path Destination file; its directory is created if missing.
 * @param text UTF-8 text to write.
 * @throws {Deno.errors.PermissionDenied} And other filesystem errors.
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
  await atomicWrite(path, text);
}
