import assert from "node:assert/strict";
import { bucketedPermutation, DataOrder, epochPermutation } from "../../../engine/train/data_order.ts";

Deno.test("epochPermutation() is a seeded permutation that differs between epochs and seeds", () => {
  const a = epochPermutation(50, 7, 0);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(epochPermutation(50, 7, 0), a);
  assert.notDeepEqual(epochPermutation(50, 7, 1), a);
  assert.notDeepEqual(epochPermutation(50, 8, 0), a);
});

Deno.test("DataOrder.next() visits every document once per epoch and spans epochs within a batch", () => {
  const order = new DataOrder(10, 3);
  const first = [...order.next(4), ...order.next(4)];
  const straddle = order.next(4); // 2 from epoch 0, 2 from epoch 1
  assert.deepEqual([...first, ...straddle.slice(0, 2)].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(straddle.slice(2), [...epochPermutation(10, 3, 1).slice(0, 2)]);
  assert.deepEqual(order.state, { epoch: 1, cursor: 2 });
});

Deno.test("DataOrder restored from its state continues the same stream", () => {
  const straight = new DataOrder(7, 11);
  const expected = Array.from({ length: 9 }, () => straight.next(3)).flat();
  const head = new DataOrder(7, 11);
  const part = Array.from({ length: 4 }, () => head.next(3)).flat();
  const resumed = new DataOrder(7, 11, head.state);
  assert.deepEqual([...part, ...Array.from({ length: 5 }, () => resumed.next(3)).flat()], expected);
  assert.throws(() => new DataOrder(7, 11, { epoch: 0, cursor: 8 }), /cursor 8 is out of range/);
  assert.throws(() => new DataOrder(0, 11), /at least one/);
});

Deno.test("bucketedPermutation() keeps each epoch a permutation and groups batches by length", () => {
  const documents = 103, batchSize = 4, buckets = 5;
  const lengths = Array.from({ length: documents }, (_, i) => 1 + (i * 37) % 61);
  const order = bucketedPermutation(documents, 9, 0, { lengths, batchSize, buckets });
  assert.deepEqual([...order].sort((x, y) => x - y), Array.from({ length: documents }, (_, i) => i));
  assert.deepEqual(bucketedPermutation(documents, 9, 0, { lengths, batchSize, buckets }), order);
  assert.notDeepEqual(bucketedPermutation(documents, 9, 1, { lengths, batchSize, buckets }), order);
  assert.deepEqual(
    bucketedPermutation(documents, 9, 2, { lengths, batchSize, buckets: 1 }),
    epochPermutation(documents, 9, 2),
  );
  // Each window holds the same documents as the plain permutation's window, its batches sorted runs.
  const plain = epochPermutation(documents, 9, 0), window = batchSize * buckets;
  let padded = 0, plainPadded = 0;
  for (let start = 0; start < documents; start += window) {
    const end = Math.min(start + window, documents);
    const mine = [...order.subarray(start, end)];
    assert.deepEqual(mine.toSorted((x, y) => x - y), [...plain.subarray(start, end)].sort((x, y) => x - y));
    const sorted = mine.map((d) => lengths[d]).sort((x, y) => x - y);
    const runs: string[] = [];
    for (let b = 0; b < sorted.length; b += batchSize) runs.push(sorted.slice(b, b + batchSize).join(","));
    const batches: string[] = [];
    for (let b = start; b < end; b += batchSize) {
      batches.push(
        mine.slice(b - start, b - start + batchSize).map((d) => lengths[d]).sort((x, y) => x - y).join(","),
      );
    }
    assert.deepEqual(batches.toSorted(), runs.toSorted(), `window at ${start}`);
  }
  for (let b = 0; b + batchSize <= documents; b += batchSize) {
    const cost = (o: Uint32Array) =>
      batchSize * Math.max(...[...o.subarray(b, b + batchSize)].map((d) => lengths[d]));
    padded += cost(order);
    plainPadded += cost(plain);
  }
  assert.ok(padded < 0.75 * plainPadded, `padded tokens ${padded} vs ${plainPadded} without buckets`);
});

Deno.test("DataOrder with length buckets resumes from its state and checks its settings", () => {
  const lengths = Array.from({ length: 23 }, (_, i) => (i * 7) % 13);
  const bucketing = { lengths, batchSize: 3, buckets: 2 };
  const straight = new DataOrder(23, 4, undefined, bucketing);
  const expected = Array.from({ length: 20 }, () => straight.next(3)).flat();
  assert.deepEqual(expected.slice(0, 23).sort((x, y) => x - y), Array.from({ length: 23 }, (_, i) => i));
  const head = new DataOrder(23, 4, undefined, bucketing);
  const part = Array.from({ length: 9 }, () => head.next(3)).flat();
  const resumed = new DataOrder(23, 4, head.state, bucketing);
  assert.deepEqual([...part, ...Array.from({ length: 11 }, () => resumed.next(3)).flat()], expected);
  assert.throws(() => new DataOrder(23, 4, undefined, { ...bucketing, lengths: [1, 2] }), /got 2 lengths/);
  assert.throws(() => new DataOrder(23, 4, undefined, { ...bucketing, buckets: 0 }), /buckets must be/);
});
