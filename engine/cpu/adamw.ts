/**
 * CPU reference of the AdamW kernel: the same operations in the same order, each rounded to f32.
 *
 * @module
 */
import type { AdamWScalars } from "../kernels/adamw.ts";

/**
 * One AdamW update as `adamw.wgsl` performs it (see there for the formulas).
 *
 * @param param Parameter values.
 * @param grad Gradient values (same length).
 * @param m First moments (same length).
 * @param v Second moments (same length).
 * @param clip Gradient scale (the global clip factor).
 * @param s Step scalars (`adamwScalars`).
 * @returns Fresh arrays: the updated parameter and moments.
 * @throws {RangeError} When the lengths differ.
 * @example
 * ```ts
 * import { adamwCpu } from "./adamw.ts";
 * const s = { beta1: 0.9, beta2: 0.99, decay: 1, stepSize: 0.1, vScale: 1, eps: 0 };
 * const r = adamwCpu(new Float32Array([1]), new Float32Array([2]), new Float32Array(1), new Float32Array(1), 1, s);
 * console.assert(Math.abs(r.param[0] - (1 - 0.1 * 0.2 / Math.sqrt(0.04))) < 1e-6);
 * ```
 */
export function adamwCpu(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  clip: number,
  s: AdamWScalars,
): { param: Float32Array; m: Float32Array; v: Float32Array } {
  const n = param.length;
  if (grad.length !== n || m.length !== n || v.length !== n) {
    throw new RangeError(`adamwCpu: lengths differ (${n}, ${grad.length}, ${m.length}, ${v.length})`);
  }
  const f = Math.fround;
  const [b1, b2, decay, stepSize, vScale, eps] = [s.beta1, s.beta2, s.decay, s.stepSize, s.vScale, s.eps].map(
    f,
  );
  const c = f(clip);
  const out = { param: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
  for (let i = 0; i < n; i++) {
    const g = f(grad[i] * c);
    const mi = f(f(b1 * m[i]) + f(f(1 - b1) * g));
    const vi = f(f(b2 * v[i]) + f(f(1 - b2) * f(g * g)));
    const denom = f(f(f(Math.sqrt(vi)) * vScale) + eps);
    out.m[i] = mi;
    out.v[i] = vi;
    out.param[i] = f(f(param[i] * decay) - f(stepSize * f(mi / denom)));
  }
  return out;
}
