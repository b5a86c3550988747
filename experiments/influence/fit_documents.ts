import { Rng } from "../../engine/model/prng.ts";

/**
 * The documents the curvature factors are fitted on: every document, or `count` of them drawn without
 * replacement with the influence seed (a partial Fisher-Yates shuffle), in ascending index order.
 *
 * @param documents Number of documents in the corpus.
 * @param count How many to draw; null keeps every document.
 * @param seed The setup's influence seed.
 * @returns Document indices, ascending.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitDocuments } from "./fit_documents.ts";
 * assert.deepEqual(fitDocuments(3, null, 1), [0, 1, 2]);
 * assert.equal(fitDocuments(100, 10, 7).length, 10);
 * assert.deepEqual(fitDocuments(100, 10, 7), fitDocuments(100, 10, 7));
 * ```
 */
export function fitDocuments(documents: number, count: number | null, seed: number): number[] {
  const order = Array.from({ length: documents }, (_, i) => i);
  if (count === null || count >= documents) return order;
  const rng = new Rng(seed, "influence/fit-documents");
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng.nextFloat() * (documents - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, count).sort((a, b) => a - b);
}
