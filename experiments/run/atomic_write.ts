import { dirname, join } from "node:path";

/**
 * Writes a file atomically: the bytes go to a temporary file in the same directory, which is then
 * renamed over the target. A reader sees either the old file or the whole new one, never a part.
 *
 * @param path Target file path; its directory is created if missing.
 * @param data Bytes or UTF-8 text.
 * @example
 * ```ts ignore
 * await atomicWrite("out/report.json", "{}");
 * ```
 */
export async function atomicWrite(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${crypto.randomUUID()}.tmp`);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}
