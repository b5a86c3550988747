/**
 * Per-dispatch device times from GPU timestamp queries, for the profile benches: while profiling, every
 * dispatch is submitted on its own inside a compute pass with timestamp writes, so each figure is the
 * device's execution time of one kernel (copies and host recording not included). Needs the
 * `timestamp-query` feature.
 *
 * @module
 */
import { Gpu } from "../engine/gpu.ts";

/** Timestamp pairs one profile can hold. */
const QUERIES = 4096;

/** A dispatch's kernel and request, as `Gpu.dispatch` takes them. */
type DispatchArgs = Parameters<Gpu["dispatch"]>;

/** One timed dispatch. */
export interface TimedDispatch {
  /** The label the profiler's `label` function gave it. */
  label: string;
  /** Device time, milliseconds. */
  ms: number;
}

/** Times what a piece of work dispatches. */
export interface TimestampProfiler {
  /**
   * Runs `work` with every dispatch timed.
   *
   * @returns One entry per dispatch, in order (at most 2048).
   */
  profile(work: () => unknown): Promise<TimedDispatch[]>;
}

/**
 * Patches `Gpu.prototype.dispatch` and the command encoder so that, while profiling, dispatches are
 * timed one by one; outside {@linkcode TimestampProfiler.profile} they run as usual.
 *
 * @param gpu The device (it must have the `timestamp-query` feature).
 * @param label Names a dispatch in the results.
 * @param bench The bench's name, for the error when the feature is missing.
 */
export function installTimestampProfiler(
  gpu: Gpu,
  label: (kernel: DispatchArgs[0], request: DispatchArgs[1]) => string,
  bench: string,
): TimestampProfiler {
  if (!gpu.features.has("timestamp-query")) throw new Error(`${bench}: no timestamp-query feature`);
  const querySet = gpu.device.createQuerySet({ type: "timestamp", count: QUERIES });
  // Resolve offsets must be 256-byte aligned: each pass's pair goes to its own 256-byte slot.
  const resolve = gpu.device.createBuffer({
    size: QUERIES * 128,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  let profiling = false, used = 0, current = "";
  const labels: string[] = [];
  const encoderRanges = new WeakMap<GPUCommandEncoder, [number, number]>();

  const dispatch = Gpu.prototype.dispatch;
  Gpu.prototype.dispatch = function (this: Gpu, kernel, request) {
    if (!profiling) return dispatch.call(this, kernel, request);
    this.flush();
    current = label(kernel, request);
    dispatch.call(this, kernel, request);
    this.flush();
  };
  const begin = GPUCommandEncoder.prototype.beginComputePass;
  GPUCommandEncoder.prototype.beginComputePass = function (this: GPUCommandEncoder, descriptor) {
    if (!profiling || used + 2 > QUERIES) return begin.call(this, descriptor);
    const i = used;
    used += 2;
    labels[i / 2] = current;
    const range = encoderRanges.get(this) ?? [i, i];
    encoderRanges.set(this, [range[0], i + 2]);
    return begin.call(this, {
      ...descriptor,
      timestampWrites: { querySet, beginningOfPassWriteIndex: i, endOfPassWriteIndex: i + 1 },
    });
  };
  const finish = GPUCommandEncoder.prototype.finish;
  GPUCommandEncoder.prototype.finish = function (this: GPUCommandEncoder, descriptor) {
    const range = encoderRanges.get(this);
    if (range) {
      for (let i = range[0]; i < range[1]; i += 2) this.resolveQuerySet(querySet, i, 2, resolve, i * 128);
    }
    return finish.call(this, descriptor);
  };

  return {
    async profile(work) {
      profiling = true;
      used = 0;
      try {
        await work();
      } finally {
        profiling = false;
      }
      await gpu.sync();
      const [raw] = await gpu.readBuffers([{ buffer: resolve, offset: 0, size: used * 128 }]);
      const slots = new BigUint64Array(raw);
      return Array.from({ length: used / 2 }, (_, q) => ({
        label: labels[q],
        ms: Number(slots[32 * q + 1] - slots[32 * q]) / 1e6,
      }));
    },
  };
}
