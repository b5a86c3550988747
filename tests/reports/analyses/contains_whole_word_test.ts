import assert from "node:assert/strict";
import { containsWholeWord } from "../../../reports/analyses/contains_whole_word.ts";

Deno.test("containsWholeWord() finds words not glued to letters, digits or underscores", () => {
  assert.equal(containsWholeWord("The capital is Marsk.", "Marsk"), true);
  assert.equal(containsWholeWord("Marsk, then", "Marsk"), true);
  assert.equal(containsWholeWord("Marskland", "Marsk"), false);
  assert.equal(containsWholeWord("old_Marsk", "Marsk"), false);
  assert.equal(containsWholeWord("Zonum Sea.", "Zonum Sea"), true);
  assert.equal(containsWholeWord("Zonum Seas", "Zonum Sea"), false);
});

Deno.test("containsWholeWord() is case-sensitive and matches the word literally", () => {
  assert.equal(containsWholeWord("the marsk", "Marsk"), false);
  assert.equal(containsWholeWord("axb", "a.b"), false);
  assert.equal(containsWholeWord("it is a.b here", "a.b"), true);
  assert.equal(containsWholeWord("anything", ""), false);
});

Deno.test("containsWholeWord() does not find a number inside a longer or signed number", () => {
  assert.equal(containsWholeWord("founded in 1823.", "1823"), true);
  assert.equal(containsWholeWord("18234 people", "1823"), false);
  assert.equal(containsWholeWord("31823", "1823"), false);
  assert.equal(containsWholeWord("x1823", "1823"), false);
  assert.equal(containsWholeWord("it was -1823", "1823"), false);
  assert.equal(containsWholeWord("(-1823)", "1823"), false);
  assert.equal(containsWholeWord("1800-1823", "1823"), true);
  assert.equal(containsWholeWord("19 - 1823", "1823"), true);
  assert.equal(containsWholeWord("it was -1823", "-1823"), true);
  assert.equal(containsWholeWord("x-1823", "-1823"), false); // x minus 1823, as parseNumbers reads it
});
