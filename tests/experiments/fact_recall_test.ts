import assert from "node:assert/strict";
import { GpuLlama } from "../../engine/llama/mod.ts";
import { parseLlamaConfig } from "../../engine/model/config.ts";
import { llamaForward } from "../../engine/reference/llama_forward.ts";
import { Tokenizer } from "../../fixtures/tokenizer/mod.ts";
import { characterVocab } from "../../fixtures/tokenizer/mod.ts";
import type { Fact, Query } from "../../fixtures/world/mod.ts";
import { factRecallByMentions, recallRow } from "../../experiments/train/fact_recall.ts";
import { assertClose, hasAdapter, testGpu } from "../engine/support.ts";
import { paramsFor } from "../engine/llama/llama_fixture.ts";

const numberTokens = new Tokenizer(characterVocab(3));

const fact = (id: string, mentions: number) => ({ id, mentions }) as Fact;
const query = (id: string, factId: string, prompt: string, completion: string, gold: string) =>
  ({ id, set: "factual", factId, prompt, completion, gold }) as Query;

const QUERIES = [
  query("q0", "f0", "How long is the river Rom?", "\nThe river Rom is 6381 km long.", "6381"),
  query("q1", "f1", "What is the capital of Zed?", "\nThe capital of Zed is Pim.", "Pim"),
  query("q2", "f1", "When was Ko founded?", "\nKo was founded in 1193.", "1193"),
  { ...query("q3", "f0", "(1 + 2) * 3?", "\nThe answer is 9.", "9"), set: "arithmetic" } as Query,
];
const FACTS = [fact("f0", 256), fact("f1", 4)];

Deno.test("recallRow() finds the value's number tokens inside the completion, after the prompt", () => {
  const row = recallRow(numberTokens, QUERIES[0]);
  const text = (a: number, b: number) => numberTokens.decode(row.ids.subarray(a, b));
  assert.equal(text(row.value[0], row.value[1]), "6381");
  assert.equal(row.value[1] - row.value[0], 2, "6381 is the chunks 638 and 1");
  assert.equal(text(0, row.promptLength), QUERIES[0].prompt);
  assert.equal(text(row.promptLength, row.ids.length), QUERIES[0].completion);
  assert.throws(
    () => recallRow(numberTokens, { ...QUERIES[1], gold: "Pom" }),
    /Query q1: its completion does not contain its answer "Pom"/,
  );
});

Deno.test({
  name: "factRecallByMentions() equals the f64 reference's log-probabilities, averaged per mention count",
  ignore: !hasAdapter,
  fn: async () => {
    const gpu = await testGpu();
    const config = parseLlamaConfig({
      vocab_size: numberTokens.vocabSize,
      hidden_size: 16,
      intermediate_size: 24,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-5,
      rope_theta: 1000,
    });
    const { p32, p64 } = paramsFor(config, 5);
    const model = new GpuLlama(gpu, config, p32);
    const got = await factRecallByMentions(model, numberTokens, QUERIES, FACTS);
    model.destroy();

    const V = config.vocabSize;
    const reference = (q: Query) => {
      const row = recallRow(numberTokens, q);
      const logits = llamaForward(config, p64, { ids: row.ids, batch: 1, seqLen: row.ids.length }).logits;
      let value = 0, answer = 0;
      for (let t = row.promptLength; t < row.ids.length; t++) {
        const at = (t - 1) * V;
        let max = -Infinity;
        for (let v = 0; v < V; v++) max = Math.max(max, logits[at + v]);
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(logits[at + v] - max);
        const lp = logits[at + row.ids[t]] - max - Math.log(sum);
        answer += lp;
        if (t >= row.value[0] && t < row.value[1]) value += lp;
      }
      return { value, answer };
    };
    const [r0, r1, r2] = QUERIES.slice(0, 3).map(reference);
    assert.deepEqual(Object.keys(got), ["4", "256"], "the arithmetic query is not measured");
    assert.equal(got["256"].queries, 1);
    assert.equal(got["4"].queries, 2);
    assertClose(
      [got["256"].value, got["256"].answer],
      [r0.value, r0.answer],
      { atol: 1e-3, rtol: 1e-4 },
      "256",
    );
    assertClose(
      [got["4"].value, got["4"].answer],
      [(r1.value + r2.value) / 2, (r1.answer + r2.answer) / 2],
      { atol: 1e-3, rtol: 1e-4 },
      "4",
    );
    assert.ok(r0.value < 0 && r0.answer < r0.value, "the answer includes the value and more");
  },
});
