import assert from "node:assert/strict";
import { Rng } from "../../../engine/model/prng.ts";

Deno.test("Rng yields a fixed stream per (seed, stream), checked against an independent implementation", () => {
  // Values from a Python transcription of splitmix32 seeding + xoshiro128**.
  const rng = new Rng(42, "model.embed_tokens.weight");
  assert.deepEqual([rng.nextUint32(), rng.nextUint32(), rng.nextUint32(), rng.nextUint32()], [
    324450975,
    3044000196,
    2363015247,
    480588575,
  ]);
  const wide = new Rng(2 ** 40 + 5);
  assert.deepEqual([wide.nextUint32(), wide.nextUint32()], [2917503234, 2949153628]);
  const normal = new Rng(42, "x");
  assert.equal(normal.nextFloat(), 0.9783145512100851);
  assert.equal(normal.nextNormal(), 1.7748432433277759);
  assert.equal(normal.nextNormal(), -0.24465539714330367);
});

Deno.test("Rng streams differ by seed and by stream label", () => {
  const first = (rng: Rng) => [rng.nextUint32(), rng.nextUint32()];
  assert.notDeepEqual(first(new Rng(1)), first(new Rng(2)));
  assert.notDeepEqual(first(new Rng(1, "a")), first(new Rng(1, "b")));
  assert.notDeepEqual(first(new Rng(1)), first(new Rng(1 + 2 ** 32)));
});

Deno.test("Rng.nextNormal() has mean 0 and variance 1", () => {
  const rng = new Rng(3);
  let sum = 0, sumSquares = 0;
  const n = 200_000;
  for (let i = 0; i < n; i++) {
    const z = rng.nextNormal();
    sum += z;
    sumSquares += z * z;
  }
  assert.ok(Math.abs(sum / n) < 0.01);
  assert.ok(Math.abs(sumSquares / n - 1) < 0.01);
});

Deno.test("Rng rejects seeds that are not non-negative safe integers", () => {
  assert.throws(() => new Rng(-1), {
    name: "RangeError",
    message: "Cannot seed generator: seed must be a non-negative safe integer, got -1",
  });
  assert.throws(() => new Rng(1.5), RangeError);
});
