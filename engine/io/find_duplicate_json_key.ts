/**
 * Duplicate-key detection for JSON text, which `JSON.parse` silently resolves to the last value.
 *
 * @module
 */

interface Frame {
  /** Keys seen so far; `undefined` for an array. */
  keys: Set<string> | undefined;
  /** Whether the next string in this object is a key. */
  expectKey: boolean;
}

/**
 * Finds the first key that occurs twice within one object, at any depth, of a JSON text. The text
 * must already be valid JSON (parse it first); the result for invalid text is unspecified.
 *
 * @param text Valid JSON text.
 * @returns The decoded duplicate key, or `undefined` when every object's keys are distinct.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findDuplicateJsonKey } from "./find_duplicate_json_key.ts";
 * assert.deepEqual(findDuplicateJsonKey('{"a": 1, "b": {"a": 2}, "a": 3}'), "a");
 * assert.deepEqual(findDuplicateJsonKey('{"a": 1, "b": {"a": 2}}'), undefined);
 * ```
 */
export function findDuplicateJsonKey(text: string): string | undefined {
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const end = endOfString(text, i);
      const top = stack.at(-1);
      if (top?.keys !== undefined && top.expectKey) {
        const key = JSON.parse(text.slice(i, end)) as string;
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = end;
      continue;
    }
    if (c === "{") stack.push({ keys: new Set(), expectKey: true });
    else if (c === "[") stack.push({ keys: undefined, expectKey: false });
    else if (c === "}" || c === "]") stack.pop();
    else if (c === ",") {
      const top = stack.at(-1);
      if (top?.keys !== undefined) top.expectKey = true;
    }
    i++;
  }
  return undefined;
}

/** Index just past the closing quote of the JSON string starting at `start`. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}
