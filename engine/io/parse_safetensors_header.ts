/**
 * Parsing and validation of a safetensors header, without decoding tensor data.
 *
 * @module
 */

import { findDuplicateJsonKey } from "./find_duplicate_json_key.ts";
import {
  DTYPE_BYTES,
  isSafetensorsDtype,
  MAX_HEADER_BYTES,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  shapeSize,
} from "./safetensors.ts";

/** Where one tensor lies in the data buffer. */
export interface SafetensorsEntry {
  /** Tensor name. */
  name: string;
  /** Dtype on disk. */
  dtype: SafetensorsDtype;
  /** Dimensions, row-major. */
  shape: number[];
  /** First byte, relative to the start of the data buffer. */
  begin: number;
  /** One past the last byte, relative to the start of the data buffer. */
  end: number;
}

/** A validated header. */
export interface SafetensorsHeader {
  /** Byte offset of the data buffer in the file (8 + header length). */
  dataStart: number;
  /** Tensors in ascending order of `begin`; together they cover the data buffer exactly. */
  entries: SafetensorsEntry[];
  /** The `__metadata__` entry; empty when absent. */
  metadata: Record<string, string>;
}

const PREFIX = "Cannot read safetensors";

/**
 * Parses and validates the header of a safetensors file. Never reads outside `bytes`.
 *
 * @param bytes The whole file.
 * @returns The header, with every tensor's byte range checked against the data buffer.
 * @throws {RangeError} When the file is shorter than 8 bytes, the header length exceeds the file or
 * {@linkcode MAX_HEADER_BYTES}, a tensor's byte span does not match its shape and dtype or lies
 * outside the buffer, or the tensors overlap or leave bytes of the buffer uncovered.
 * @throws {SyntaxError} When the header is not UTF-8 JSON, starts with a byte-order mark, is not an
 * object, has duplicate keys, or an entry is malformed.
 * @throws {TypeError} When a tensor has a dtype this reader does not support.
 */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (bytes.length < 8) {
    throw new RangeError(
      `${PREFIX}: file is ${bytes.length} bytes, expected at least 8 (the header length prefix)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new RangeError(
      `${PREFIX}: header length ${headerLength} exceeds the limit of ${MAX_HEADER_BYTES} bytes`,
    );
  }
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new RangeError(
      `${PREFIX}: header length ${headerLength} exceeds the ${
        bytes.length - 8
      } bytes after the length prefix`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  const root = parseJsonObject(bytes.subarray(8, dataStart));
  const bufferLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(root)) {
    if (name === "__metadata__") Object.assign(metadata, parseMetadata(info));
    else entries.push(parseEntry(name, info, bufferLength));
  }
  checkLayout(entries, bufferLength);
  return { dataStart, entries, metadata };
}

function parseJsonObject(headerBytes: Uint8Array): Record<string, unknown> {
  if (headerBytes[0] === 0xef && headerBytes[1] === 0xbb && headerBytes[2] === 0xbf) {
    throw new SyntaxError(`${PREFIX}: header starts with a UTF-8 byte-order mark, expected "{"`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SyntaxError(`${PREFIX}: header is not valid UTF-8`);
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`${PREFIX}: header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof root !== "object" || root === null || Array.isArray(root)) {
    const kind = root === null ? "null" : Array.isArray(root) ? "an array" : `a ${typeof root}`;
    throw new SyntaxError(`${PREFIX}: header must be a JSON object, got ${kind}`);
  }
  const duplicate = findDuplicateJsonKey(text);
  if (duplicate !== undefined) throw new SyntaxError(`${PREFIX}: header has duplicate key "${duplicate}"`);
  return root as Record<string, unknown>;
}

function parseMetadata(info: unknown): Record<string, string> {
  if (typeof info !== "object" || info === null || Array.isArray(info)) {
    throw new SyntaxError(`${PREFIX}: __metadata__ must be an object mapping strings to strings`);
  }
  for (const [key, value] of Object.entries(info)) {
    if (typeof value !== "string") {
      throw new SyntaxError(
        `${PREFIX}: __metadata__ must map strings to strings, got ${JSON.stringify(value)} for key "${key}"`,
      );
    }
  }
  return info as Record<string, string>;
}

function parseEntry(name: string, info: unknown, bufferLength: number): SafetensorsEntry {
  const where = `${PREFIX}: tensor "${name}"`;
  if (typeof info !== "object" || info === null || Array.isArray(info)) {
    throw new SyntaxError(`${where} must be an object with dtype, shape and data_offsets`);
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) {
    throw new TypeError(
      `${where} has unsupported dtype ${JSON.stringify(dtype)}, expected one of ${
        SAFETENSORS_DTYPES.join(", ")
      }`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw new SyntaxError(
      `${where} has shape ${JSON.stringify(shape)}, expected an array of non-negative integers`,
    );
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((offset) => Number.isSafeInteger(offset) && offset >= 0) || offsets[0] > offsets[1]
  ) {
    throw new SyntaxError(
      `${where} has data_offsets ${JSON.stringify(offsets)}, expected [begin, end] with 0 <= begin <= end`,
    );
  }
  const [begin, end] = offsets as [number, number];
  const expectedBytes = shapeSize(shape) * DTYPE_BYTES[dtype];
  if (expectedBytes !== end - begin) {
    throw new RangeError(
      `${where} has shape ${JSON.stringify(shape)} of ${dtype} (${expectedBytes} bytes), ` +
        `but data_offsets [${begin},${end}] span ${end - begin} bytes`,
    );
  }
  if (end > bufferLength) {
    throw new RangeError(
      `${where} has data_offsets [${begin},${end}] past the end of the ${bufferLength}-byte data buffer`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** Sorts `entries` by offset and checks they tile [0, bufferLength) with no overlap or hole. */
function checkLayout(entries: SafetensorsEntry[], bufferLength: number): void {
  entries.sort((x, y) => x.begin - y.begin || x.end - y.end);
  let cursor = 0;
  let previous: SafetensorsEntry | undefined;
  for (const entry of entries) {
    if (entry.begin < cursor) {
      throw new RangeError(
        `${PREFIX}: tensors "${
          previous!.name
        }" and "${entry.name}" overlap: "${entry.name}" starts at byte ` +
          `${entry.begin} before "${previous!.name}" ends at byte ${cursor}`,
      );
    }
    if (entry.begin > cursor) {
      throw new RangeError(
        `${PREFIX}: data buffer has a hole: bytes [${cursor}, ${entry.begin}) belong to no tensor`,
      );
    }
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== bufferLength) {
    throw new RangeError(
      `${PREFIX}: data buffer has a hole: bytes [${cursor}, ${bufferLength}) belong to no tensor`,
    );
  }
}
