/**
 * The settings a training state depends on, serialised canonically and hashed, and a readable list
 * of what changed between two of them.
 *
 * @module
 */
import { canonicalJson } from "../io/canonical_json.ts";
import type { DocumentTokens } from "./document_tokens.ts";
import type { TrainSettings } from "./train_settings.ts";

/** Everything besides the model's shapes that decides a run's numbers. */
export interface TrainFingerprintInput {
  /** Training settings (`checkpointEvery` is left out: it does not change the numbers; nor `lengthBuckets` when 1). */
  settings: TrainSettings;
  /** AdamW ε. */
  eps: number;
  /** Names of the parameters with weight decay. */
  decayed: readonly string[];
  /** Padded lengths are rounded up to a multiple of this. */
  seqLenMultiple: number;
  /** The training documents. */
  corpus: DocumentTokens;
}

/**
 * Canonical JSON of the settings, with the corpus reduced to its size and SHA-256, and its hash.
 *
 * @param input The settings.
 * @returns `json` (canonical) and `hash` (SHA-256 of `json`, lowercase hex).
 */
export async function trainFingerprint(
  input: TrainFingerprintInput,
): Promise<{ json: string; hash: string }> {
  // `lengthBuckets: 1` is the plain order, as before the setting existed: left out, so such states resume.
  const { checkpointEvery: _, lengthBuckets, ...rest } = input.settings;
  const training = lengthBuckets === undefined || lengthBuckets === 1 ? rest : { ...rest, lengthBuckets };
  const corpus = new Uint8Array(input.corpus.tokens.byteLength + input.corpus.offsets.byteLength);
  corpus.set(
    new Uint8Array(
      input.corpus.tokens.buffer,
      input.corpus.tokens.byteOffset,
      input.corpus.tokens.byteLength,
    ),
  );
  corpus.set(
    new Uint8Array(
      input.corpus.offsets.buffer,
      input.corpus.offsets.byteOffset,
      input.corpus.offsets.byteLength,
    ),
    input.corpus.tokens.byteLength,
  );
  const json = canonicalJson({
    training,
    adamw: { eps: input.eps, decayed: [...input.decayed].sort() },
    batching: { seqLenMultiple: input.seqLenMultiple },
    corpus: {
      documents: input.corpus.offsets.length - 1,
      tokens: input.corpus.tokens.length,
      sha256: await sha256Hex(corpus),
    },
  });
  return { json, hash: await sha256Hex(new TextEncoder().encode(json)) };
}

/**
 * The leaves that differ between two settings objects, as `path (old → new)`.
 *
 * @param before Canonical JSON of the earlier settings.
 * @param after Canonical JSON of the later settings.
 * @returns One entry per changed leaf, in path order (arrays compare whole).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settingsChanges } from "./train_fingerprint.ts";
 * assert.deepEqual(settingsChanges('{"a":{"b":1,"c":2}}', '{"a":{"b":1,"c":3}}'), ["a.c (2 → 3)"]);
 * ```
 */
export function settingsChanges(before: string, after: string): string[] {
  let a: unknown, b: unknown;
  try {
    [a, b] = [JSON.parse(before), JSON.parse(after)];
  } catch {
    return ["(settings unreadable)"];
  }
  return diff(a, b, "");
}

function diff(a: unknown, b: unknown, path: string): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diff(a[k], b[k], path ? `${path}.${k}` : k));
  }
  const [x, y] = [
    a === undefined ? "absent" : canonicalJson(a),
    b === undefined ? "absent" : canonicalJson(b),
  ];
  if (x === y) return [];
  const short = (s: string) => (s.length > 40 ? `${s.slice(0, 37)}...` : s);
  return [`${path || "(all)"} (${short(x)} → ${short(y)})`];
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, "0")).join("");
}
