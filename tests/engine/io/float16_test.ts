import assert from "node:assert/strict";
import {
  bfloat16BitsToNumber,
  float16BitsToNumber,
  numberToBfloat16Bits,
  numberToFloat16Bits,
} from "../../../engine/io/float16.ts";

Deno.test("float16 decoding and encoding agree with DataView for every bit pattern", () => {
  const view = new DataView(new ArrayBuffer(2));
  for (let bits = 0; bits < 0x10000; bits++) {
    view.setUint16(0, bits);
    const expected = view.getFloat16(0);
    const value = float16BitsToNumber(bits);
    if (Number.isNaN(expected)) {
      assert.ok(Number.isNaN(value));
      assert.ok(Number.isNaN(float16BitsToNumber(numberToFloat16Bits(value))));
      continue;
    }
    assert.ok(Object.is(value, expected), `bits ${bits}`);
    assert.equal(numberToFloat16Bits(value), bits);
  }
});

Deno.test("numberToFloat16Bits() rounds to nearest-even like DataView.setFloat16", () => {
  const view = new DataView(new ArrayBuffer(2));
  const samples = [
    1 + 2 ** -11,
    1 + 3 * 2 ** -11,
    65520,
    65519.99,
    2 ** -25,
    3 * 2 ** -26,
    1e-8,
    0.1,
    -123.456,
  ];
  let seed = 1;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 48271) % 2147483647;
    samples.push((seed / 2147483647 - 0.5) * 2 ** ((i % 50) - 30));
  }
  for (const sample of samples) {
    const value = Math.fround(sample);
    view.setFloat16(0, value);
    assert.equal(numberToFloat16Bits(value), view.getUint16(0), `value ${value}`);
  }
});

Deno.test("bfloat16 conversions round to nearest-even and keep NaN", () => {
  assert.equal(numberToBfloat16Bits(1), 0x3f80);
  assert.equal(bfloat16BitsToNumber(0x3f80), 1);
  assert.equal(numberToBfloat16Bits(1 + 2 ** -8), 0x3f80); // tie, to even
  assert.equal(numberToBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82); // tie, to even
  assert.equal(numberToBfloat16Bits(-Infinity), 0xff80);
  assert.ok(Number.isNaN(bfloat16BitsToNumber(numberToBfloat16Bits(NaN))));
  assert.equal(numberToBfloat16Bits(3.4e38), 0x7f80); // rounds up to infinity
});
