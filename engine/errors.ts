/**
 * Error classes the engine throws where a caller may want to catch them.
 *
 * @module
 */

/**
 * No usable WebGPU device: `navigator.gpu` is missing, no adapter was found, or the adapter lacks a
 * feature or limit the engine needs. The message names what is missing.
 *
 * @example
 * ```ts
 * import { acquireDevice, GpuUnavailableError } from "./mod.ts";
 * try {
 *   await acquireDevice();
 * } catch (e) {
 *   if (!(e instanceof GpuUnavailableError)) throw e;
 * }
 * ```
 */
export class GpuUnavailableError extends Error {
  /** Creates the error with a message naming what is missing. */
  constructor(message: string) {
    super(message);
    this.name = "GpuUnavailableError";
  }
}

/**
 * The device reported an error (validation, out of memory, internal, shader compilation) or was lost.
 * WebGPU reports these asynchronously; the engine collects them and throws this error at the next
 * synchronisation point (`Gpu.flush()`, `Gpu.sync()`, a readback).
 *
 * @example
 * ```ts
 * import { GpuDeviceError } from "./mod.ts";
 * const e = new GpuDeviceError(["kernel add: invalid bind group"]);
 * console.assert(e.messages.length === 1);
 * ```
 */
export class GpuDeviceError extends Error {
  /** Every error message collected since the last synchronisation point, oldest first. */
  readonly messages: readonly string[];

  /** Creates the error from the collected device messages. */
  constructor(messages: readonly string[]) {
    super(`WebGPU device error: ${messages.join("\n")}`);
    this.name = "GpuDeviceError";
    this.messages = messages;
  }
}
