import assert from "node:assert/strict";
import { readSafetensors } from "../../../engine/io/read_safetensors.ts";
import { writeSafetensors } from "../../../engine/io/write_safetensors.ts";
import type { SafetensorsTensor } from "../../../engine/io/safetensors.ts";

/** A file with the given header text (unpadded) and data buffer. */
function rawFile(header: string, data: Uint8Array = new Uint8Array()): Uint8Array {
  const headerBytes = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

function rejects(bytes: Uint8Array, errorClass: ErrorConstructor, message: string): void {
  assert.throws(() => readSafetensors(bytes), (error: unknown) => {
    assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${error}`);
    assert.equal((error as Error).message, message);
    return true;
  });
}

const F32_A = '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}';

Deno.test("writeSafetensors() produces the exact bytes of the format and readSafetensors() round-trips them", () => {
  const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"b":{"dtype":"I32","shape":[2],"data_offsets":[8,16]}}';
  assert.equal(header.length, 108);
  const expected = new Uint8Array([
    ...[112, 0, 0, 0, 0, 0, 0, 0], // u64 LE header length: 108 bytes of JSON + 4 spaces of padding
    ...new TextEncoder().encode(header),
    ...[0x20, 0x20, 0x20, 0x20],
    ...[0, 0, 128, 63, 0, 0, 32, 192], // a: f32 LE 1, -2.5
    ...[7, 0, 0, 0, 255, 255, 255, 255], // b: i32 LE 7, -1
  ]);
  const tensors: Record<string, SafetensorsTensor> = {
    b: { dtype: "I32", shape: [2], data: new Int32Array([7, -1]) },
    a: { dtype: "F32", shape: [2], data: new Float32Array([1, -2.5]) },
  };
  const bytes = writeSafetensors(tensors);
  assert.deepEqual(bytes, expected);
  const file = readSafetensors(expected);
  assert.deepEqual([...file.tensors.keys()], ["a", "b"]);
  assert.deepEqual(file.tensors.get("a"), tensors.a);
  assert.deepEqual(file.tensors.get("b"), tensors.b);
  assert.deepEqual(file.metadata, {});
});

Deno.test("writeSafetensors() writes sorted metadata first and is deterministic", () => {
  const tensors = new Map<string, SafetensorsTensor>([
    ["z", { dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 3]) }],
    ["10", { dtype: "F64", shape: [], data: new Float64Array([Math.PI]) }],
    ["9", { dtype: "I64", shape: [1, 1], data: new BigInt64Array([-(2n ** 62n)]) }],
    ["empty", { dtype: "F32", shape: [0, 4], data: new Float32Array() }],
  ]);
  const bytes = writeSafetensors(tensors, { format: "pt", author: "x" });
  assert.deepEqual(writeSafetensors(tensors, { author: "x", format: "pt" }), bytes);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLength % 8, 0);
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)).trimEnd();
  assert.ok(header.startsWith('{"__metadata__":{"author":"x","format":"pt"},"10":{"dtype":"F64","shape":[]'));
  const file = readSafetensors(bytes);
  assert.deepEqual(file.metadata, { author: "x", format: "pt" });
  for (const [name, tensor] of tensors) assert.deepEqual(file.tensors.get(name), tensor, name);
});

Deno.test("safetensors F16 and BF16 tensors round-trip as float32 rounded to nearest-even", () => {
  const values = new Float32Array([1, -2, 0.1, 65504, 1e-7, 70000, -0, Infinity]);
  const half = readSafetensors(writeSafetensors({ h: { dtype: "F16", shape: [8], data: values } })).tensors
    .get("h")!;
  const view = new DataView(new ArrayBuffer(2));
  const expectedHalf = values.map((v) => (view.setFloat16(0, v), view.getFloat16(0)));
  assert.deepEqual(half.data, expectedHalf);
  const brain = readSafetensors(writeSafetensors({ h: { dtype: "BF16", shape: [8], data: values } })).tensors
    .get("h")!;
  assert.deepEqual(
    brain.data,
    new Float32Array([1, -2, 0.10009765625, 65536, 1.0011717677116394e-7, 70144, -0, Infinity]),
  );
});

Deno.test("readSafetensors() accepts an empty file header and zero-size tensors", () => {
  assert.deepEqual(readSafetensors(rawFile("{}")).tensors.size, 0);
  const file = readSafetensors(rawFile('{"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}  '));
  assert.deepEqual(file.tensors.get("e")?.shape, [0]);
});

Deno.test("readSafetensors() rejects a file shorter than the length prefix", () => {
  rejects(
    new Uint8Array(5),
    RangeError,
    "Cannot read safetensors: file is 5 bytes, expected at least 8 (the header length prefix)",
  );
});

Deno.test("readSafetensors() rejects a header length past the file or above 100 MB", () => {
  const bytes = rawFile("{}");
  new DataView(bytes.buffer).setBigUint64(0, 3n, true);
  rejects(
    bytes,
    RangeError,
    "Cannot read safetensors: header length 3 exceeds the 2 bytes after the length prefix",
  );
  new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
  rejects(
    bytes,
    RangeError,
    "Cannot read safetensors: header length 9223372036854775808 exceeds the limit of 100000000 bytes",
  );
});

Deno.test("readSafetensors() rejects invalid UTF-8, invalid JSON and non-object headers", () => {
  const badUtf8 = rawFile("{}");
  badUtf8[9] = 0xff;
  rejects(badUtf8, SyntaxError, "Cannot read safetensors: header is not valid UTF-8");
  assert.throws(
    () => readSafetensors(rawFile('{"a":')),
    /^SyntaxError: Cannot read safetensors: header is not valid JSON \(/,
  );
  rejects(rawFile("[1]"), SyntaxError, "Cannot read safetensors: header must be a JSON object, got an array");
  rejects(rawFile("null"), SyntaxError, "Cannot read safetensors: header must be a JSON object, got null");
  rejects(rawFile('"x"'), SyntaxError, "Cannot read safetensors: header must be a JSON object, got a string");
});

Deno.test("readSafetensors() rejects duplicate tensor names", () => {
  rejects(
    rawFile(`{${F32_A},${F32_A}}`, new Uint8Array(8)),
    SyntaxError,
    'Cannot read safetensors: header has duplicate key "a"',
  );
});

Deno.test("readSafetensors() rejects malformed entries and metadata", () => {
  rejects(
    rawFile('{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}', new Uint8Array(8)),
    TypeError,
    'Cannot read safetensors: tensor "a" has unsupported dtype "Q4", expected one of F64, F32, F16, BF16, I64, I32, U8',
  );
  rejects(
    rawFile('{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}', new Uint8Array(8)),
    SyntaxError,
    'Cannot read safetensors: tensor "a" has shape [2.5], expected an array of non-negative integers',
  );
  rejects(
    rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', new Uint8Array(8)),
    SyntaxError,
    'Cannot read safetensors: tensor "a" has data_offsets [8,0], expected [begin, end] with 0 <= begin <= end',
  );
  rejects(
    rawFile('{"a":[]}'),
    SyntaxError,
    'Cannot read safetensors: tensor "a" must be an object with dtype, shape and data_offsets',
  );
  rejects(
    rawFile('{"__metadata__":{"n":1}}'),
    SyntaxError,
    'Cannot read safetensors: __metadata__ must map strings to strings, got 1 for key "n"',
  );
});

Deno.test("readSafetensors() rejects a byte span that differs from shape times dtype size", () => {
  rejects(
    rawFile('{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}', new Uint8Array(20)),
    RangeError,
    'Cannot read safetensors: tensor "a" has shape [2,3] of F32 (24 bytes), but data_offsets [0,20] span 20 bytes',
  );
});

Deno.test("readSafetensors() rejects offsets outside the data buffer", () => {
  rejects(
    rawFile(`{${F32_A}}`, new Uint8Array(6)),
    RangeError,
    'Cannot read safetensors: tensor "a" has data_offsets [0,8] past the end of the 6-byte data buffer',
  );
});

Deno.test("readSafetensors() rejects overlapping tensors", () => {
  rejects(
    rawFile(`{${F32_A},"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}}`, new Uint8Array(8)),
    RangeError,
    'Cannot read safetensors: tensors "a" and "b" overlap: "b" starts at byte 4 before "a" ends at byte 8',
  );
});

Deno.test("readSafetensors() rejects holes in the data buffer, inside or at the end", () => {
  rejects(
    rawFile(`{${F32_A},"b":{"dtype":"I32","shape":[1],"data_offsets":[12,16]}}`, new Uint8Array(16)),
    RangeError,
    "Cannot read safetensors: data buffer has a hole: bytes [8, 12) belong to no tensor",
  );
  rejects(
    rawFile(`{${F32_A}}`, new Uint8Array(10)),
    RangeError,
    "Cannot read safetensors: data buffer has a hole: bytes [8, 10) belong to no tensor",
  );
});

Deno.test("readSafetensors() reads a file held at an unaligned offset of a larger buffer", () => {
  const bytes = writeSafetensors({ a: { dtype: "F64", shape: [2], data: new Float64Array([1.5, -3]) } });
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  assert.deepEqual(readSafetensors(shifted.subarray(3)).tensors.get("a")?.data, new Float64Array([1.5, -3]));
});

Deno.test("writeSafetensors() rejects mismatched data and reserved names", () => {
  assert.throws(
    () => writeSafetensors({ a: { dtype: "F32", shape: [2, 2], data: new Float32Array(3) } }),
    {
      name: "RangeError",
      message: 'Cannot write safetensors: tensor "a" has 3 values, expected 4 from shape [2,2]',
    },
  );
  assert.throws(
    () =>
      writeSafetensors({
        a: { dtype: "F32", shape: [1], data: new Float64Array(1) as unknown as Float32Array },
      }),
    {
      name: "TypeError",
      message: 'Cannot write safetensors: tensor "a" of dtype F32 needs a Float32Array, got Float64Array',
    },
  );
  assert.throws(
    () => writeSafetensors({ __metadata__: { dtype: "U8", shape: [0], data: new Uint8Array() } }),
    {
      name: "TypeError",
      message: 'Cannot write safetensors: tensor name "__metadata__" is reserved or empty',
    },
  );
});

Deno.test("readSafetensors() rejects a header that starts with a byte-order mark", () => {
  rejects(
    rawFile(`\uFEFF{${F32_A}}`, new Uint8Array(8)),
    SyntaxError,
    'Cannot read safetensors: header starts with a UTF-8 byte-order mark, expected "{"',
  );
});
