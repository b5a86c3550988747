/**
 * What the engine records about the adapter it runs on, for reports and kernel-family choice.
 *
 * @module
 */

/** Adapter identity as recorded in report provenance. */
export interface AdapterInfo {
  /** Vendor name or PCI id as the browser/runtime reports it (may be empty). */
  vendor: string;
  /** GPU architecture family (may be empty). */
  architecture: string;
  /** Device name or id (may be empty). */
  device: string;
  /** Driver-provided description, e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"`. */
  description: string;
  /** True when the runtime marks the adapter as a fallback (software) adapter. */
  isFallbackAdapter: boolean;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|basic render driver|warp/i;

/**
 * Copies the identity fields out of a `GPUAdapterInfo`.
 *
 * @param info The adapter's `info` object.
 * @returns A plain, JSON-serialisable record.
 */
export function describeAdapter(info: GPUAdapterInfo): AdapterInfo {
  return {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
    isFallbackAdapter: info.isFallbackAdapter === true,
  };
}

/**
 * Whether the adapter rasterises on the CPU (llvmpipe, lavapipe, SwiftShader, WARP): such adapters get
 * the software GEMM family, tuned for SIMD-across-invocations execution without workgroup memory.
 *
 * @param info The recorded adapter identity.
 * @returns True for fallback adapters and for descriptions naming a known software rasteriser.
 *
 * @example
 * ```ts
 * import { isSoftwareAdapter } from "./adapter_info.ts";
 * const blank = { vendor: "", architecture: "", device: "", isFallbackAdapter: false };
 * console.assert(isSoftwareAdapter({ ...blank, description: "llvmpipe (LLVM 15)" }));
 * ```
 */
export function isSoftwareAdapter(info: AdapterInfo): boolean {
  return info.isFallbackAdapter || SOFTWARE_NAMES.test(`${info.description} ${info.device} ${info.vendor}`);
}
