import assert from "node:assert/strict";
import { DataOrder, epochPermutation } from "../../../engine/train/data_order.ts";

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
