import { canonicalJson } from "../../engine/io/canonical_json.ts";

/**
 * SHA-256 of bytes or a UTF-8 string, as lowercase hex (WebCrypto).
 *
 * @param data The bytes or text to hash.
 * @returns 64 hex characters.
 * @example
 * ```ts
 * import { sha256Hex } from "./hash.ts";
 * const h = await sha256Hex("abc");
 * console.assert(h.startsWith("ba7816bf"));
 * ```
 */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * SHA-256 of a value's canonical JSON, so key order never changes the hash.
 *
 * @param value A JSON-compatible value.
 * @returns 64 hex characters.
 * @example
 * ```ts
 * import { hashJson } from "./hash.ts";
 * console.assert((await hashJson({ a: 1, b: 2 })) === (await hashJson({ b: 2, a: 1 })));
 * ```
 */
export function hashJson(value: unknown): Promise<string> {
  return sha256Hex(canonicalJson(value));
}
