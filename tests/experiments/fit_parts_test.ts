import assert from "node:assert/strict";
import {
  decodeParts,
  encodeParts,
  FIT_BATCH_DOCUMENTS,
  joinParts,
  planFit,
} from "../../experiments/influence/fit_parts.ts";
import { SEQ_LEN_MULTIPLE } from "../../experiments/influence/device_batch.ts";
import { writeSafetensors } from "../../engine/io/mod.ts";

/** A corpus of documents with the given lengths. */
function corpus(lengths: number[]) {
  const offsets = new Int32Array(lengths.length + 1);
  lengths.forEach((l, i) => (offsets[i + 1] = offsets[i] + l));
  return { documents: { tokens: new Int32Array(offsets[lengths.length]), offsets } };
}

Deno.test("planFit() batches the fit documents in order, with padded row offsets, and groups whole parts", () => {
  const lengths = Array.from({ length: 21 }, (_, i) => 10 + 5 * i); // 10 … 110 tokens
  const documents = Array.from({ length: 21 }, (_, i) => i);
  const plan = planFit(corpus(lengths), documents, 16);
  assert.equal(FIT_BATCH_DOCUMENTS, 8);
  assert.deepEqual(plan.batches.map((b) => b.documents.length), [8, 8, 5]);
  assert.deepEqual(plan.batches.flatMap((b) => b.documents), documents);
  // Each batch is padded to its longest document, rounded up to SEQ_LEN_MULTIPLE (8): 45 → 48, 85 → 88.
  assert.equal(SEQ_LEN_MULTIPLE, 8);
  assert.deepEqual(plan.batches.map((b) => b.rowOffset), [0, 8 * 48, 8 * 48 + 8 * 88]);
  assert.deepEqual(plan.parts, [[0, 2], [2, 3]]);
  assert.deepEqual(planFit(corpus(lengths), documents, 8).parts, [[0, 1], [1, 2], [2, 3]]);
  assert.deepEqual(planFit(corpus([]), [], 8), { documents: [], batches: [], parts: [] });
  assert.throws(() => planFit(corpus(lengths), documents, 12), /positive multiple of 8, got 12/);
});

Deno.test("encodeParts() and decodeParts() round-trip covariance and Λ parts exactly; joinParts() checks order", () => {
  const layers = ["w0", "w1"];
  const f32 = (n: number, seed: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i)));
  const covariance = (k: number) => ({
    tokens: 10 + k,
    sequences: 2,
    blocks: 2 as const,
    sums: new Map(layers.map((n, l) => [n, { a: f32(4, k + l), s: f32(9, 10 * k + l) }])),
  });
  const stored = {
    first: 3,
    sums: [covariance(3), covariance(4)],
    labels: [Int32Array.of(1, 2, -1), Int32Array.of(-1)],
  };
  const back = decodeParts(encodeParts(stored), layers, "parts.safetensors");
  assert.deepEqual(back, stored);
  const lambda = {
    first: 0,
    sums: [{
      sequences: 3,
      sums: new Map(layers.map((n, l) => [n, { diagonal: f32(6, l), lambda: f32(6, 5 + l) }])),
    }],
    labels: [Int32Array.of(7, -1)],
  };
  assert.deepEqual(decodeParts(encodeParts(lambda), layers, "p"), lambda);
  const diagonalOnly = {
    ...lambda,
    sums: [{ sequences: 3, sums: new Map(layers.map((n) => [n, { diagonal: f32(6, 1) }])) }],
  };
  const d = decodeParts(encodeParts(diagonalOnly), layers, "p");
  assert.equal(
    (d.sums[0] as { sums: Map<string, { lambda?: Float32Array }> }).sums.get("w0")!.lambda,
    undefined,
  );

  assert.throws(
    () => decodeParts(encodeParts(stored), ["w0", "w2"], "x/parts.safetensors"),
    /^Error: x\/parts\.safetensors: part 3 lacks "w2\.a"/,
  );
  assert.throws(
    () => decodeParts(writeSafetensors({}), layers, "y"),
    /y: metadata "first" and "counts" are missing/,
  );

  const head = { first: 0, sums: [covariance(0), covariance(1), covariance(2)], labels: [] };
  const joined = joinParts([head, { first: 0, sums: [], labels: [] }, stored], 5, "merge");
  assert.deepEqual(joined.sums.map((s) => s.tokens), [10, 11, 12, 13, 14]);
  assert.throws(() => joinParts([stored, head], 5, "merge"), /merge: a shard holds parts from 3, expected 0/);
  assert.throws(() => joinParts([head], 5, "merge"), /merge: the shards hold 3 of 5 parts/);
});
