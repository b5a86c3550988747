import assert from "node:assert/strict";
import { writeSafetensors } from "../../engine/io/mod.ts";
import { checkFactorsFor } from "../../experiments/influence/factors_file.ts";

const layers = [{ name: "model.layers.0.mlp.up_proj.weight", outDim: 24, inDim: 16 }];
const file = (metadata: Record<string, string>) => writeSafetensors({}, metadata);
const fitted = {
  layers: JSON.stringify(layers),
  model_sha256: "a".repeat(64),
  tokenizer_sha256: "b".repeat(64),
  settings: "{}",
};
const expected = { modelSha256: "a".repeat(64), tokenizerSha256: "b".repeat(64), layers };

Deno.test("checkFactorsFor() accepts factors fitted for the same model, tokenizer and layers", () => {
  checkFactorsFor("f.safetensors", file(fitted), expected);
});

Deno.test("checkFactorsFor() refuses factors fitted for another model", () => {
  assert.throws(
    () => checkFactorsFor("f.safetensors", file(fitted), { ...expected, modelSha256: "c".repeat(64) }),
    {
      message: 'Cannot use factors "f.safetensors": fitted for model aaaaaaaaaaaa, the setup\'s model is ' +
        "cccccccccccc; refit them (--force=factors)",
    },
  );
});

Deno.test("checkFactorsFor() refuses factors fitted with another tokenizer or without provenance", () => {
  assert.throws(
    () => checkFactorsFor("f.safetensors", file(fitted), { ...expected, tokenizerSha256: "d".repeat(64) }),
    /fitted with tokenizer bbbbbbbbbbbb, the corpus uses dddddddddddd/,
  );
  assert.throws(
    () => checkFactorsFor("f.safetensors", file({ layers: fitted.layers }), expected),
    /fitted for model \(none recorded\)/,
  );
});

Deno.test("checkFactorsFor() refuses factors whose layers differ from the tracked ones", () => {
  const other = [{ ...layers[0], outDim: 32 }];
  assert.throws(
    () => checkFactorsFor("f.safetensors", file({ ...fitted, layers: JSON.stringify(other) }), expected),
    /they hold layers model\.layers\.0\.mlp\.up_proj\.weight \[32, 16\], expected .*\[24, 16\]/,
  );
});
