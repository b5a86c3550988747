/**
 * Reading a whole safetensors file into typed arrays.
 *
 * @module
 */

import { bfloat16BitsToNumber, float16BitsToNumber } from "./float16.ts";
import { parseSafetensorsHeader, type SafetensorsEntry } from "./parse_safetensors_header.ts";
import type { SafetensorsFile, SafetensorsTensor } from "./safetensors.ts";

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads a safetensors file. Values are copied out of `bytes` (nothing aliases the input); F16 and
 * BF16 tensors are decoded to `Float32Array`, I64 tensors are `BigInt64Array`.
 *
 * @param bytes The whole file.
 * @returns Tensors in ascending order of their data offsets, and the metadata.
 * @throws {RangeError | SyntaxError | TypeError} When the file is malformed; see
 * {@linkcode parseSafetensorsHeader}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSafetensors } from "./read_safetensors.ts";
 * import { writeSafetensors } from "./write_safetensors.ts";
 * const bytes = writeSafetensors({ w: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } });
 * assert.deepEqual(readSafetensors(bytes).tensors.get("w")?.data, new Float32Array([1, 2]));
 * ```
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  const header = parseSafetensorsHeader(bytes);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of header.entries) {
    const raw = bytes.subarray(header.dataStart + entry.begin, header.dataStart + entry.end);
    tensors.set(entry.name, decodeTensor(entry, raw));
  }
  return { tensors, metadata: header.metadata };
}

/** Decodes one tensor's little-endian bytes (exactly its span) into a fresh typed array. */
function decodeTensor(entry: SafetensorsEntry, raw: Uint8Array): SafetensorsTensor {
  const shape = [...entry.shape];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (entry.dtype) {
    case "F64":
      return { dtype: "F64", shape, data: LITTLE_ENDIAN_HOST ? new Float64Array(copy(raw)) : decode64(view) };
    case "F32":
      return { dtype: "F32", shape, data: LITTLE_ENDIAN_HOST ? new Float32Array(copy(raw)) : decode32(view) };
    case "I64": {
      const data = new BigInt64Array(raw.length / 8);
      for (let i = 0; i < data.length; i++) data[i] = view.getBigInt64(8 * i, true);
      return { dtype: "I64", shape, data };
    }
    case "I32": {
      const data = new Int32Array(raw.length / 4);
      for (let i = 0; i < data.length; i++) data[i] = view.getInt32(4 * i, true);
      return { dtype: "I32", shape, data };
    }
    case "U8":
      return { dtype: "U8", shape, data: raw.slice() };
    case "F16":
    case "BF16": {
      const toNumber = entry.dtype === "F16" ? float16BitsToNumber : bfloat16BitsToNumber;
      const data = new Float32Array(raw.length / 2);
      for (let i = 0; i < data.length; i++) data[i] = toNumber(view.getUint16(2 * i, true));
      return { dtype: entry.dtype, shape, data };
    }
  }
}

/** A fresh, aligned `ArrayBuffer` holding a copy of `raw`. */
function copy(raw: Uint8Array): ArrayBuffer {
  return raw.slice().buffer as ArrayBuffer;
}

function decode64(view: DataView): Float64Array {
  const data = new Float64Array(view.byteLength / 8);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat64(8 * i, true);
  return data;
}

function decode32(view: DataView): Float32Array {
  const data = new Float32Array(view.byteLength / 4);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(4 * i, true);
  return data;
}
