import assert from "node:assert/strict";
import { createProgress, formatSeconds } from "../../experiments/run/progress.ts";

Deno.test("createProgress() prints plain lines with count, rate and ETA when not on a terminal", () => {
  const lines: string[] = [];
  const p = createProgress("score 7B", 4, { write: (t) => lines.push(t), isTerminal: false }, 0);
  p.tick();
  p.tick(3);
  p.done();
  assert.equal(lines.length, 3);
  assert.ok(lines.every((l) => l.endsWith("\n") && !l.includes("\r")));
  assert.match(lines[0], /^score 7B: 1\/4 \(25\.0%\), [\d.]+\/s, ETA /);
  assert.match(lines[2], /^score 7B: 4\/4 \(100\.0%\), [\d.]+\/s, ETA 0\.0s\n$/);
});

Deno.test("createProgress() redraws one line on a terminal", () => {
  const out: string[] = [];
  const p = createProgress("fit", 10, { write: (t) => out.push(t), isTerminal: true });
  p.tick();
  p.done();
  assert.ok(out[0].startsWith("\r\x1b[2Kfit: 1/10"));
  assert.ok(out.at(-1)!.startsWith("\r\x1b[2Kfit: 1/10") && out.at(-1)!.endsWith("\n"));
});

Deno.test("formatSeconds() picks a readable unit", () => {
  assert.equal(formatSeconds(4.21), "4.2s");
  assert.equal(formatSeconds(185), "3m05s");
  assert.equal(formatSeconds(3720), "1h02m");
});
