import assert from "node:assert/strict";
import { finalNumber } from "../../../reports/analyses/final_number.ts";

Deno.test("finalNumber() reads the last number with its sign, separators and decimals", () => {
  const cases: [string, number | null][] = [
    ["The height of Mount Everest is 8,849 meters (29,029 feet) above sea level.", 29029],
    ["1. (11) * 144\n2. 1,344\n\nTherefore, the answer to the expression is 1,344.", 1344],
    ["Divide both sides of the equation by 1 to isolate x: x = 70", 70],
    ["Slope = (82 / -1)\nSlope = -82\n\nTherefore, the slope ... points (13, 5) and (12, 87) is -82.", -82],
    ["There is no number between the brackets: (-43).", -43],
    ["Therefore, the answer is **43**.", 43],
    ["the slope is -16/2 = -8.\n\nThe negative sign indicates that the line slopes downward.", -8],
    ["m = (66) / (-3) = 220/(-3) ≈ 733/(-1) = 733", 733],
    ["Slope = −5", -5],
    ["The interest is 12.5 percent.", 12.5],
    ["Slope = -0", 0],
    ["", null],
    ["No numbers here, only x and y.", null],
  ];
  for (const [text, expected] of cases) assert.equal(finalNumber(text), expected, JSON.stringify(text));
});

Deno.test("finalNumber() treats spaced and glued minus signs as subtraction, and names as non-numbers", () => {
  assert.equal(finalNumber("7 - 4"), 4);
  assert.equal(finalNumber("y2 - y1 = 19-62"), 62);
  assert.equal(finalNumber("the answer is in x2"), null);
  assert.equal(finalNumber("(5)-3"), 3);
  assert.equal(finalNumber("in x-coordinates: 9"), 9);
  assert.equal(finalNumber("Subtract 26 from both sides: 8x = 66 - 26 = 40."), 40);
  assert.equal(finalNumber("so 2x"), 2);
});

Deno.test("finalNumber() separates comma lists and points but groups exact thousands", () => {
  assert.equal(finalNumber("the points (73, 19)"), 19);
  assert.equal(finalNumber("list 3,4,5"), 5);
  assert.equal(finalNumber("about 16,103 deaths"), 16103);
  assert.equal(finalNumber("a total of 1,234,567."), 1234567);
  assert.equal(finalNumber("sum of 1,2345"), 2345);
  assert.equal(finalNumber("The slope ... through the points (71, 100) and (65, 64) is -"), 64);
});
