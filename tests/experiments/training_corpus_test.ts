import assert from "node:assert/strict";
import { trainingCorpus } from "../../experiments/train/train_proxy.ts";
import type { TokenizedCorpus } from "../../experiments/stages/tokenize_stage.ts";

Deno.test("trainingCorpus() repeats the scored documents and appends the unscored ones once", () => {
  const corpus = {
    documents: { tokens: Int32Array.from([1, 5, 2, 1, 6, 7, 2]), offsets: Int32Array.from([0, 3, 7]) },
    unscored: { tokens: Int32Array.from([1, 9, 2]), offsets: Int32Array.from([0, 3]) },
  } as TokenizedCorpus;
  const out = trainingCorpus(corpus, 2);
  assert.deepEqual([...out.tokens], [1, 5, 2, 1, 6, 7, 2, 1, 5, 2, 1, 6, 7, 2, 1, 9, 2]);
  assert.deepEqual([...out.offsets], [0, 3, 7, 10, 14, 17]);
  const once = trainingCorpus({
    ...corpus,
    unscored: { tokens: new Int32Array(0), offsets: Int32Array.from([0]) },
  }, 1);
  assert.deepEqual([...once.offsets], [0, 3, 7]);
});
