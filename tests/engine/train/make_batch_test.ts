import assert from "node:assert/strict";
import { checkDocumentTokens } from "../../../engine/train/document_tokens.ts";
import { makeBatch, PAD_ID } from "../../../engine/train/make_batch.ts";

const corpus = {
  tokens: new Int32Array([1, 10, 11, 12, 2, 1, 20, 2, 1, 2]),
  offsets: new Int32Array([0, 5, 8, 10]),
};

Deno.test("makeBatch() pads to the longest document and labels next tokens with −1 at ends and padding", () => {
  const b = makeBatch(corpus, [1, 0, 2]);
  assert.equal(b.seqLen, 5);
  assert.deepEqual([...b.ids], [1, 20, 2, PAD_ID, PAD_ID, 1, 10, 11, 12, 2, 1, 2, PAD_ID, PAD_ID, PAD_ID]);
  assert.deepEqual([...b.labels], [20, 2, -1, -1, -1, 10, 11, 12, 2, -1, 2, -1, -1, -1, -1]);
  assert.equal(b.tokens, 10);
  assert.equal(b.labelled, 7);
  const labelled = [...b.weights].filter((w, i) => (b.labels[i] >= 0 ? w === Math.fround(1 / 7) : w === 0));
  assert.equal(labelled.length, 15, "1/labelled at labelled positions, 0 elsewhere");
});

Deno.test("makeBatch() rounds the padded length up to seqLenMultiple", () => {
  const b = makeBatch(corpus, [1, 2], 4);
  assert.equal(b.seqLen, 4);
  assert.equal(b.ids.length, 8);
  assert.deepEqual([...b.labels.subarray(4)], [2, -1, -1, -1]);
});

Deno.test("checkDocumentTokens() refuses documents longer than the context and broken offsets", () => {
  assert.equal(checkDocumentTokens(corpus, 5), 3);
  assert.throws(
    () => checkDocumentTokens(corpus, 4),
    /document 0 has 5 tokens, more than the model's context of 4/,
  );
  assert.throws(
    () => checkDocumentTokens({ tokens: corpus.tokens, offsets: new Int32Array([0, 5, 5, 10]) }),
    /document 1 is empty/,
  );
  assert.throws(
    () => checkDocumentTokens({ tokens: corpus.tokens, offsets: new Int32Array([0]) }),
    /no documents/,
  );
});
