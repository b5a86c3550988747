import assert from "node:assert/strict";
import { readTensors, sumSquaresAll, Tensor } from "../../../engine/mod.ts";
import { adamwCpu } from "../../../engine/cpu/adamw.ts";
import { gradClipCpu } from "../../../engine/cpu/grad_clip.ts";
import { adamwScalars, adamwUpdate } from "../../../engine/kernels/adamw.ts";
import { gradClipFactor } from "../../../engine/kernels/grad_clip.ts";
import { AdamW } from "../../../engine/train/adamw_optimizer.ts";
import { assertClose, hasAdapter, randomArray, testGpu } from "../support.ts";

// Needs only the engine's default limits.
const gpu = hasAdapter ? await testGpu() : null;
const HYPER = { beta1: 0.9, beta2: 0.95, eps: 1e-8 };

Deno.test({
  name: "adamwUpdate() matches the CPU reference at an offset into packed moments, with and without decay",
  ignore: !hasAdapter,
  fn: async () => {
    const n = 3000, offset = 700, total = 4000;
    const param = randomArray(n, 1), grad = randomArray(n, 2);
    const m = randomArray(total, 3).map((x) => 0.1 * x), v = randomArray(total, 4).map((x) => 0.01 * x * x);
    for (const [t, weightDecay, clip] of [[1, 0.1, 1], [7, 0, 0.25]]) {
      const s = adamwScalars(t, 3e-3, { ...HYPER, weightDecay });
      const tp = Tensor.from(gpu!, param), tg = Tensor.from(gpu!, grad);
      const tm = Tensor.from(gpu!, m), tv = Tensor.from(gpu!, v);
      const stats = Tensor.from(gpu!, new Float32Array([123, clip]));
      adamwUpdate(tp, tg, tm, tv, offset, stats, s);
      const [gp, gm, gv] = await readTensors(tp, tm, tv);
      const ref = adamwCpu(param, grad, m.slice(offset, offset + n), v.slice(offset, offset + n), clip, s);
      const tol = { atol: 1e-7, rtol: 1e-5 };
      assertClose(gp, ref.param, tol, `param t=${t}`);
      assertClose(gm.subarray(offset, offset + n), ref.m, tol, `m t=${t}`);
      assertClose(gv.subarray(offset, offset + n), ref.v, tol, `v t=${t}`);
      assert.deepEqual(
        gm.subarray(0, offset),
        m.subarray(0, offset),
        "moments before the offset are untouched",
      );
      assert.deepEqual(
        gm.subarray(offset + n),
        m.subarray(offset + n),
        "moments after the tensor are untouched",
      );
    }
  },
});

Deno.test({
  name: "adamwUpdate() from flat texture copies (software adapters) matches the scalar kernel bit for bit",
  ignore: !hasAdapter,
  fn: async () => {
    // Sizes and offsets that are multiples of 4 take adamw_texture.wgsl on software adapters; the scalar
    // kernel must give the same bits (an odd offset and an odd size take the scalar kernel both times).
    for (const [n, offset] of [[3000, 700], [4, 0], [3000, 701], [13, 8]]) {
      const total = 4000;
      const param = randomArray(n, 1), grad = randomArray(n, 2);
      const m = randomArray(total, 3).map((x) => 0.1 * x), v = randomArray(total, 4).map((x) => 0.01 * x * x);
      const s = adamwScalars(5, 3e-3, { ...HYPER, weightDecay: 0.1 });
      const stats = Tensor.from(gpu!, new Float32Array([123, 0.5]));
      const runs = [false, true].map((scalar) => {
        const tensors = [param, grad, m, v].map((x) => Tensor.from(gpu!, x));
        adamwUpdate(tensors[0], tensors[1], tensors[2], tensors[3], offset, stats, s, scalar);
        return readTensors(tensors[0], tensors[2], tensors[3]);
      });
      const [fast, scalar] = [await runs[0], await runs[1]];
      for (let k = 0; k < 3; k++) {
        assert.deepEqual(
          new Uint32Array(fast[k].buffer),
          new Uint32Array(scalar[k].buffer),
          `${n}@${offset} ${k}`,
        );
      }
    }
  },
});

Deno.test({
  name: "adamwUpdate() rejects aliased buffers and moments that do not fit",
  ignore: !hasAdapter,
  fn: () => {
    const p = Tensor.zeros(gpu!, [8]), g = Tensor.zeros(gpu!, [8]), m = Tensor.zeros(gpu!, [10]);
    const v = Tensor.zeros(gpu!, [10]), stats = Tensor.zeros(gpu!, [2]);
    const s = adamwScalars(1, 1e-3, { ...HYPER, weightDecay: 0 });
    assert.throws(() => adamwUpdate(p, g, m, v, 3, stats, s), /moments \[3, 11\) exceed/);
    assert.throws(() => adamwUpdate(p, p, m, v, 0, stats, s), /distinct buffers/);
    assert.throws(() => adamwScalars(0, 1e-3, { ...HYPER, weightDecay: 0 }), /positive integer/);
  },
});

Deno.test({
  name: "gradClipFactor() after per-tensor sums of squares matches the CPU global norm and clip",
  ignore: !hasAdapter,
  fn: async () => {
    const grads = [randomArray(5000, 5), randomArray(17, 6), randomArray(1, 7)];
    for (const maxNorm of [1, 1000]) {
      const sumsq = Tensor.zeros(gpu!, [grads.length]), out = Tensor.zeros(gpu!, [2]);
      grads.forEach((g, k) => {
        const partial = Tensor.zeros(gpu!, [1]);
        sumSquaresAll(Tensor.from(gpu!, g), partial);
        gpu!.copyBuffer(partial.buffer, 0, sumsq.buffer, 4 * k, 4);
      });
      gradClipFactor(sumsq, maxNorm, out);
      const [norm, clip] = await out.read();
      const ref = gradClipCpu(grads, maxNorm);
      assertClose([norm, clip], [ref.norm, ref.clip], { atol: 0, rtol: 1e-5 }, `maxNorm ${maxNorm}`);
    }
  },
});

Deno.test({
  name: "AdamW.step() decays matrices but not 1-D gains, and clips a large gradient to gradClip",
  ignore: !hasAdapter,
  fn: async () => {
    const matrix = Tensor.from(gpu!, new Float32Array([1, 2, 3, 4]), [2, 2]);
    const gain = Tensor.from(gpu!, new Float32Array([1, 1]), [2]);
    const params = new Map([["w", matrix], ["model.norm.weight", gain]]);
    const grads = new Map([["w", Tensor.zeros(gpu!, [2, 2])], [
      "model.norm.weight",
      Tensor.zeros(gpu!, [2]),
    ]]);
    const opt = new AdamW(params, grads, { ...HYPER, weightDecay: 0.5, gradClip: 1 });
    assert.deepEqual([...opt.decayed], ["w"]);
    assert.equal(opt.offsetOf("model.norm.weight"), 4);
    opt.step(0.1); // zero gradients: only decay acts
    assert.deepEqual([...await matrix.read()], [1, 2, 3, 4].map((x) => Math.fround(x * Math.fround(0.95))));
    assert.deepEqual([...await gain.read()], [1, 1]);

    grads.get("w")!.write(new Float32Array([30, 0, 0, 40]));
    opt.step(0.1);
    const [stats, m] = await readTensors(opt.stats, opt.m);
    assertClose(stats, [50, 1 / (50 + 1e-6)], { atol: 0, rtol: 1e-6 }, "norm and clip");
    // m after two steps: 0.9·0 + 0.1·(g·clip) with clip = 1/50.
    assertClose(m.subarray(0, 4), [0.06, 0, 0, 0.08], { atol: 1e-8, rtol: 1e-5 }, "first moments");
    assert.equal(opt.stepCount, 2);
    opt.destroy();
  },
});
