/**
 * Writing safetensors files, deterministically.
 *
 * @module
 */

import { numberToBfloat16Bits, numberToFloat16Bits } from "./float16.ts";
import { DTYPE_BYTES, isSafetensorsDtype, type SafetensorsTensor, shapeSize } from "./safetensors.ts";

const PREFIX = "Cannot write safetensors";

const DATA_CLASS = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Float32Array,
  BF16: Float32Array,
  I64: BigInt64Array,
  I32: Int32Array,
  U8: Uint8Array,
} as const;

/**
 * Writes tensors as a safetensors file. The output depends only on the arguments: tensors are laid
 * out in ascending code-unit order of their names, the header is compact JSON with keys in the
 * order `__metadata__` (sorted keys), then tensors, each as `dtype`, `shape`, `data_offsets`, padded
 * with spaces to a multiple of 8 bytes; values are little-endian.
 *
 * @param tensors Tensors by name (F16 and BF16 values are rounded to nearest-even).
 * @param metadata Optional string-to-string `__metadata__`; omitted from the header when absent.
 * @returns The file bytes.
 * @throws {TypeError} When a name is empty or `__metadata__`, a dtype is unsupported, or the data
 * array's type does not match the dtype.
 * @throws {RangeError} When a shape is invalid or the data length differs from the shape's size.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeSafetensors } from "./write_safetensors.ts";
 * const bytes = writeSafetensors({ b: { dtype: "U8", shape: [1], data: new Uint8Array([7]) } });
 * assert.deepEqual(bytes.length % 8, 1); // 8-byte prefix + padded header + 1 data byte
 * ```
 */
export function writeSafetensors(
  tensors: Readonly<Record<string, SafetensorsTensor>> | ReadonlyMap<string, SafetensorsTensor>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const byName = tensors instanceof Map ? tensors : new Map(Object.entries(tensors));
  const names = [...byName.keys()].sort();
  const parts: string[] = [];
  if (metadata !== undefined) {
    const sorted = Object.keys(metadata).sort().map((key) => {
      if (typeof metadata[key] !== "string") {
        throw new TypeError(`${PREFIX}: metadata "${key}" must be a string, got ${typeof metadata[key]}`);
      }
      return `${JSON.stringify(key)}:${JSON.stringify(metadata[key])}`;
    });
    parts.push(`"__metadata__":{${sorted.join(",")}}`);
  }
  let offset = 0;
  for (const name of names) {
    const tensor = checkTensor(name, byName.get(name)!);
    const size = tensor.data.length * DTYPE_BYTES[tensor.dtype];
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(",")}],` +
        `"data_offsets":[${offset},${offset + size}]}`,
    );
    offset += size;
  }
  let header = new TextEncoder().encode(`{${parts.join(",")}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const withPadding = new Uint8Array(padded).fill(0x20);
    withPadding.set(header);
    header = withPadding;
  }
  const out = new Uint8Array(8 + header.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let position = 8 + header.length;
  for (const name of names) position = encodeTensor(byName.get(name)!, view, position);
  return out;
}

function checkTensor(name: string, tensor: SafetensorsTensor): SafetensorsTensor {
  if (name === "" || name === "__metadata__") {
    throw new TypeError(`${PREFIX}: tensor name ${JSON.stringify(name)} is reserved or empty`);
  }
  if (!isSafetensorsDtype(tensor.dtype)) {
    throw new TypeError(`${PREFIX}: tensor "${name}" has unsupported dtype ${JSON.stringify(tensor.dtype)}`);
  }
  if (!(tensor.data instanceof DATA_CLASS[tensor.dtype])) {
    throw new TypeError(
      `${PREFIX}: tensor "${name}" of dtype ${tensor.dtype} needs a ${DATA_CLASS[tensor.dtype].name}, ` +
        `got ${tensor.data?.constructor?.name}`,
    );
  }
  if (!Array.isArray(tensor.shape) || !tensor.shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw new RangeError(
      `${PREFIX}: tensor "${name}" has shape ${JSON.stringify(tensor.shape)}, expected non-negative integers`,
    );
  }
  if (tensor.data.length !== shapeSize(tensor.shape)) {
    throw new RangeError(
      `${PREFIX}: tensor "${name}" has ${tensor.data.length} values, expected ${shapeSize(tensor.shape)} ` +
        `from shape [${tensor.shape.join(",")}]`,
    );
  }
  return tensor;
}

/** Writes `tensor`'s values little-endian at `position`; returns the position after them. */
function encodeTensor(tensor: SafetensorsTensor, view: DataView, position: number): number {
  const n = tensor.data.length;
  switch (tensor.dtype) {
    case "F64":
      for (let i = 0; i < n; i++) view.setFloat64(position + 8 * i, tensor.data[i], true);
      break;
    case "F32":
      for (let i = 0; i < n; i++) view.setFloat32(position + 4 * i, tensor.data[i], true);
      break;
    case "F16":
      for (let i = 0; i < n; i++) view.setUint16(position + 2 * i, numberToFloat16Bits(tensor.data[i]), true);
      break;
    case "BF16":
      for (let i = 0; i < n; i++) {
        view.setUint16(position + 2 * i, numberToBfloat16Bits(tensor.data[i]), true);
      }
      break;
    case "I64":
      for (let i = 0; i < n; i++) view.setBigInt64(position + 8 * i, tensor.data[i], true);
      break;
    case "I32":
      for (let i = 0; i < n; i++) view.setInt32(position + 4 * i, tensor.data[i], true);
      break;
    case "U8":
      new Uint8Array(view.buffer).set(tensor.data, position);
      break;
  }
  return position + n * DTYPE_BYTES[tensor.dtype];
}
