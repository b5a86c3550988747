import assert from "node:assert/strict";
import { castParams } from "../../../engine/model/mod.ts";
import { loadCheckpoint } from "../../../engine/model/checkpoint.ts";
import { readSafetensors } from "../../../engine/io/read_safetensors.ts";
import { parseSafetensorsHeader } from "../../../engine/io/parse_safetensors_header.ts";
import { GpuLlama } from "../../../engine/llama/mod.ts";
import { llamaForward } from "../../../engine/reference/llama_forward.ts";
import { Tensor } from "../../../engine/mod.ts";
import { hasAdapter, testGpu } from "../support.ts";

// Written on the device machine by fixtures/make_hf_proxy_logits.py: the proxies kept in
// fixtures/hf_checked/ (the committed proxies of the time, byte for byte) loaded, unchanged, by Hugging
// Face transformers' LlamaForCausalLM (which refused nothing: no missing, unexpected or mismatched
// tensor), and its logits on fixed random ids, in float64 and float32. The checked copies are kept so
// that the committed proxies can be retrained without a machine that has transformers; the last test
// shows the committed proxies are written in exactly the checked format.
const hf = readSafetensors(
  await Deno.readFile(new URL("./fixtures/hf_proxy_logits.safetensors", import.meta.url)),
);
const gpu = hasAdapter ? await testGpu() : null;

function fixture(name: string): ArrayLike<number | bigint> {
  const t = hf.tensors.get(name);
  assert.ok(t !== undefined, `fixture tensor ${name}`);
  return t.data;
}

/** max |a − b| / max |b|. */
function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

const checkedDir = (setup: string) => new URL(`./fixtures/hf_checked/${setup}/`, import.meta.url);
const committedDir = (setup: string) => new URL(`../../../fixtures/proxies/${setup}/`, import.meta.url);

async function checkedProxy(setup: string) {
  const dir = checkedDir(setup);
  return loadCheckpoint(
    await Deno.readTextFile(new URL("config.json", dir)),
    await Deno.readFile(new URL("model.safetensors", dir)),
  );
}

for (const setup of ["7B", "35B"]) {
  const ids = Int32Array.from(fixture(`${setup}.input_ids`), Number);
  const [batch, seqLen] = hf.tensors.get(`${setup}.input_ids`)!.shape;
  const expected = fixture(`${setup}.logits_f64`) as Float64Array;

  Deno.test(`the checked ${setup} proxy's float64 logits match transformers' LlamaForCausalLM on the same checkpoint`, async () => {
    const { config, params } = await checkedProxy(setup);
    const logits = llamaForward(config, castParams(params, Float64Array), { ids, batch, seqLen }).logits;
    const err = relativeMaxError(logits, expected);
    // Not 1e-12: even after model.double(), transformers computes RoPE's cos/sin and RMSNorm in
    // float32 (LlamaRotaryEmbedding and LlamaRMSNorm cast to float32), so its "float64" logits carry
    // float32 rounding. A layout or convention error (a transposed weight, interleaved RoPE pairs)
    // would be of order 1; the pure float64 agreement is checked in llama_torch_test.ts.
    assert.ok(err < 1e-5, `float64 reference vs transformers: relative max error ${err}`);
  });

  Deno.test({
    name:
      `the checked ${setup} proxy's GPU logits agree with transformers' LlamaForCausalLM to float32 precision`,
    ignore: !hasAdapter,
    fn: async () => {
      const { config, params } = await checkedProxy(setup);
      const model = new GpuLlama(gpu!, config, params);
      const logits = await model.forward(Tensor.from(gpu!, ids), batch, seqLen).read();
      const err = relativeMaxError(logits as Float32Array, expected);
      // transformers' own float32 forward lands this far from its float64 one; ours must do as well.
      const hfF32 = relativeMaxError(fixture(`${setup}.logits_f32`) as Float32Array, expected);
      assert.ok(
        err < Math.max(4 * hfF32, 1e-5),
        `GPU vs transformers f64: ${err} (transformers f32: ${hfF32})`,
      );
    },
  });
}

Deno.test("the committed proxies are written in the format transformers loaded: same config, same tensors", async () => {
  for (const setup of ["7B", "35B"]) {
    const header = async (dir: URL) =>
      parseSafetensorsHeader(await Deno.readFile(new URL("model.safetensors", dir)));
    const [checked, committed] = [await header(checkedDir(setup)), await header(committedDir(setup))];
    // Same tensors, dtypes, shapes and byte offsets, and the same header length (metadata aside).
    assert.deepEqual(committed.entries, checked.entries, `${setup} safetensors tensors`);
    assert.equal(committed.dataStart, checked.dataStart, `${setup} header length`);
    const config = async (dir: URL) => JSON.parse(await Deno.readTextFile(new URL("config.json", dir)));
    assert.deepEqual(
      await config(committedDir(setup)),
      await config(checkedDir(setup)),
      `${setup} config.json`,
    );
  }
});
