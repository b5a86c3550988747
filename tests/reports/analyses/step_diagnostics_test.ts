import assert from "node:assert/strict";
import { equationHolds, equations, stepDiagnostics } from "../../../reports/analyses/step_diagnostics.ts";

Deno.test("equations() reads binary equations, signs, chains, and leaves names and brackets alone", () => {
  const cases: [string, [number, string, number, number][]][] = [
    ["First, 17 - 8 = 9.\nThen, 9 * 2 = 18.\nThe answer is 18.", [[17, "-", 8, 9], [9, "*", 2, 18]]],
    ["y2 - y1 = 22 - 25 = -3\nx2 - x1 = 12 - 9 = 3\nSlope = -3 / 3 = -1", [
      [22, "-", 25, -3],
      [12, "-", 9, 3],
      [-3, "/", 3, -1],
    ]],
    ["(17 - 8) * 2 = 9 * 2 = 18", [[9, "*", 2, 18]]],
    ["1x = 22 - 13 = 9.", [[22, "-", 13, 9]]],
    ["a - b = c", []],
    ["x2 - 3 = 4", []],
    ["12 - 3 = 9.5", []],
    ["7 + 3 = 10 - 4 = 6", [[7, "+", 3, 10], [10, "-", 4, 6]]],
    ["", []],
  ];
  for (const [text, want] of cases) {
    assert.deepEqual(
      equations(text).map((e) => [e.left, e.op, e.right, e.result]),
      want,
      JSON.stringify(text),
    );
  }
});

Deno.test("equationHolds() checks each operation, division exactly", () => {
  assert.equal(equationHolds({ left: 9, op: "-", right: 12, result: -3 }), true);
  assert.equal(equationHolds({ left: 9, op: "+", right: 12, result: 20 }), false);
  assert.equal(equationHolds({ left: -4, op: "*", right: 3, result: -12 }), true);
  assert.equal(equationHolds({ left: 12, op: "/", right: -2, result: -6 }), true);
  assert.equal(equationHolds({ left: 13, op: "/", right: 2, result: 6 }), false);
  assert.equal(equationHolds({ left: 13, op: "/", right: 0, result: 0 }), false);
});

Deno.test("stepDiagnostics() separates copying the operands from computing the steps", () => {
  const reference = "First, 17 - 8 = 9.\nThen, 9 * 2 = 18.\nThe answer is 18.";
  const d = stepDiagnostics([
    // Copied and computed.
    { set: "arithmetic", completion: reference, reference },
    // Copied, first step wrong, second step right for its own numbers.
    { set: "arithmetic", completion: "First, 17 - 8 = 12.\nThen, 12 * 2 = 24.", reference },
    // Not copied; both equations wrong.
    { set: "arithmetic", completion: "First, 15 - 1 = 12.\nThen, 12 * 12 = 112.", reference },
    // No equation at all.
    { set: "arithmetic", completion: "The answer is 18.", reference },
    // Factual queries have no reference equation and are skipped.
    { set: "factual", completion: "It is 2463 km long.", reference: "The river is 2463 km long." },
  ]);
  assert.deepEqual(Object.keys(d), ["arithmetic"]);
  assert.deepEqual(d.arithmetic, {
    completions: 4,
    distinctCompletions: 4,
    operandsCopied: 2,
    firstStepRight: 1,
    equations: 6,
    equationsRight: 3,
  });
});

Deno.test("stepDiagnostics() counts distinct completions per set, so one chain for every query shows", () => {
  const reference = "First, 17 - 8 = 9.\nThen, 9 * 2 = 18.\nThe answer is 18.";
  const same = "First, 12 - 4 = 8.\nThen, 8 * 2 = 16.";
  const d = stepDiagnostics([
    { set: "arithmetic", completion: same, reference },
    { set: "slopes", completion: same, reference },
    { set: "arithmetic", completion: same, reference },
    { set: "arithmetic", completion: reference, reference },
    { set: "arithmetic", completion: same, reference },
  ]);
  assert.equal(d.arithmetic.completions, 4);
  assert.equal(d.arithmetic.distinctCompletions, 2);
  assert.equal(d.slopes.distinctCompletions, 1, "counted per set");
});
