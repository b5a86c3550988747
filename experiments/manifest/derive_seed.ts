/**
 * Derives a 32-bit seed from the root seed and a label (FNV-1a over `root/label`), so each stage and
 * setup gets its own stream without the manifest listing every seed.
 *
 * @param root The manifest's root seed.
 * @param label What the seed is for, e.g. `training/7B`.
 * @returns An unsigned 32-bit integer.
 * @example
 * ```ts
 * import { deriveSeed } from "./derive_seed.ts";
 * console.assert(deriveSeed(1, "a") === deriveSeed(1, "a") && deriveSeed(1, "a") !== deriveSeed(1, "b"));
 * ```
 */
export function deriveSeed(root: number, label: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`${root}/${label}`)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
