/**
 * Shared helpers for engine tests: adapter detection, seeded data, tolerance checks.
 *
 * GPU tests declare what they need with {@linkcode testGpu}; they are ignored (not failed) only when
 * the machine has no WebGPU adapter at all. An adapter that lacks a declared feature or limit fails
 * the test with the `GpuUnavailableError` naming it.
 *
 * @module
 */
import { acquireDevice, type AcquireOptions, type Gpu } from "../../engine/mod.ts";

/** Whether any WebGPU adapter exists here (decides `ignore:` of GPU tests). */
export const hasAdapter: boolean = await (async () => {
  try {
    return (await globalThis.navigator?.gpu?.requestAdapter()) != null;
  } catch {
    return false;
  }
})();

/** Devices this test module acquired; destroyed when the module unloads. */
const acquired: Gpu[] = [];

// Rare process aborts at teardown were seen here with devices still alive; release them explicitly
// rather than leave it to the isolate's teardown.
globalThis.addEventListener("unload", () => {
  for (const gpu of acquired) gpu.device.destroy();
});

/**
 * Acquires a device with the features and limits a test file needs. The device is destroyed when the
 * test module unloads.
 *
 * @param needs Required features and raised minimum limits.
 * @returns The device context.
 */
export async function testGpu(
  needs: Pick<AcquireOptions, "requiredFeatures" | "minLimits" | "gemmFamily"> = {},
): Promise<Gpu> {
  const gpu = await acquireDevice(needs);
  acquired.push(gpu);
  return gpu;
}

/** Mulberry32: a small seeded generator of floats in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` floats uniform in [-1, 1) from `seed`. */
export function randomArray(n: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = next() * 2 - 1;
  return out;
}

/**
 * Asserts `|actual − expected| ≤ atol + rtol·|expected|` elementwise, reporting the worst element.
 *
 * @param actual Values under test.
 * @param expected Reference values.
 * @param tol Absolute and relative tolerance.
 * @param what Description for the message.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { atol: number; rtol: number },
  what = "values",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} differs from expected ${expected.length}`);
  }
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (tol.atol + tol.rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(atol ${tol.atol}, rtol ${tol.rtol})`,
    );
  }
}

/**
 * Names of the kernels that `record` dispatches on `gpu`, in order (wraps `gpu.dispatch` meanwhile), e.g.
 * to check which of two kernel variants a wrapper chose.
 */
export function dispatched(gpu: Gpu, record: () => void): string[] {
  const names: string[] = [], original = gpu.dispatch;
  gpu.dispatch = function (kernel, request) {
    names.push(kernel.name);
    original.call(this, kernel, request);
  };
  try {
    record();
  } finally {
    gpu.dispatch = original;
  }
  return names;
}

/** The bits of f32 values, so that comparisons are exact (signed zeros included). */
export const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);
