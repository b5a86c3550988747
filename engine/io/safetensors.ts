/**
 * The safetensors format: dtypes, tensor and file types shared by {@linkcode readSafetensors} and
 * {@linkcode writeSafetensors}.
 *
 * A file is an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`, then the
 * data buffer. Offsets are bytes relative to the start of the buffer; the buffer is covered exactly
 * by the tensors (no holes, no overlaps). Tensor data is row-major and little-endian.
 *
 * @module
 */

/** Dtypes this reader and writer support, by their safetensors names. */
export const SAFETENSORS_DTYPES = ["F64", "F32", "F16", "BF16", "I64", "I32", "U8"] as const;

/** A supported safetensors dtype name. */
export type SafetensorsDtype = typeof SAFETENSORS_DTYPES[number];

/** Bytes per element of each supported dtype. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  U8: 1,
};

/**
 * One tensor: its dtype on disk, its shape, and its row-major values in memory. F16 and BF16
 * values are held decoded as `Float32Array` (rounded to nearest-even when written).
 */
export type SafetensorsTensor =
  | { dtype: "F64"; shape: number[]; data: Float64Array }
  | { dtype: "F32" | "F16" | "BF16"; shape: number[]; data: Float32Array }
  | { dtype: "I64"; shape: number[]; data: BigInt64Array }
  | { dtype: "I32"; shape: number[]; data: Int32Array }
  | { dtype: "U8"; shape: number[]; data: Uint8Array };

/** A whole safetensors file: tensors by name and the optional string-to-string metadata. */
export interface SafetensorsFile {
  /** Tensors by name, in ascending order of their data offsets when read. */
  tensors: Map<string, SafetensorsTensor>;
  /** The `__metadata__` entry; empty when the file has none. */
  metadata: Record<string, string>;
}

/** Largest header length accepted when reading, in bytes (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * Whether `value` names a supported dtype.
 *
 * @param value Any value.
 * @returns `true` when `value` is one of {@linkcode SAFETENSORS_DTYPES}.
 */
export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === "string" && (SAFETENSORS_DTYPES as readonly string[]).includes(value);
}

/**
 * Number of elements of a tensor of the given shape (1 for the scalar shape `[]`).
 *
 * @param shape Dimensions, each a non-negative integer.
 * @returns The product of the dimensions.
 */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}
