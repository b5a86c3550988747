import assert from "node:assert/strict";
import { createProgress, formatSeconds, prefixLines } from "../../experiments/run/progress.ts";

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

Deno.test("createProgress() prints plain lines with count, rate and ETA when not on a terminal", () => {
  const lines: string[] = [];
  const clock = fakeClock();
  const p = createProgress("score 7B", 40, { write: (t) => lines.push(t), isTerminal: false }, {
    intervalMs: 0,
    now: clock.now,
  });
  for (let i = 0; i < 10; i++) {
    clock.advance(1000);
    p.tick(2);
  }
  p.done();
  assert.equal(lines.length, 11);
  assert.ok(lines.every((l) => l.endsWith("\n") && !l.includes("\r")));
  assert.equal(lines[0], "score 7B: 2/40 (5.0%)\n");
  assert.equal(lines[9], "score 7B: 20/40 (50.0%), 2.0/s, ETA 10.0s\n");
  assert.equal(lines[10], "score 7B: 20/40 (50.0%) in 10.0s, 2.0/s\n");
});

Deno.test("createProgress() shows no rate or ETA until a few ticks and seconds have passed", () => {
  const lines: string[] = [];
  const clock = fakeClock();
  const p = createProgress("fit", 1000, { write: (t) => lines.push(t), isTerminal: false }, {
    intervalMs: 0,
    now: clock.now,
  });
  // Many quick ticks: enough ticks, not enough time.
  for (let i = 0; i < 10; i++) {
    clock.advance(100);
    p.tick();
  }
  assert.ok(lines.every((l) => !l.includes("ETA") && !l.includes("/s")), lines.join(""));
  // Few slow ticks: enough time, not enough ticks.
  const slow: string[] = [];
  const q = createProgress("fit", 1000, { write: (t) => slow.push(t), isTerminal: false }, {
    intervalMs: 0,
    now: clock.now,
  });
  for (let i = 0; i < 3; i++) {
    clock.advance(5000);
    q.tick();
  }
  assert.ok(slow.every((l) => !l.includes("ETA")), slow.join(""));
  clock.advance(5000);
  q.tick();
  assert.match(slow.at(-1)!, /, 0\.2\/s, ETA /);
});

Deno.test("createProgress() bases the ETA on the recent rate, not on the time before the first item", () => {
  // The regression: a stage that spends 20 s before its first item (compiling, loading) and then does
  // 10 items/s showed `ETA 6m57s` for what took 33 s.
  const lines: string[] = [];
  const clock = fakeClock();
  const p = createProgress("documents", 330, { write: (t) => lines.push(t), isTerminal: false }, {
    intervalMs: 0,
    now: clock.now,
  });
  clock.advance(20_000);
  p.tick(10);
  for (let i = 0; i < 4; i++) {
    clock.advance(1000);
    p.tick(10);
  }
  assert.equal(lines.at(-1), "documents: 50/330 (15.2%), 10.0/s, ETA 28.0s\n");
  // The rate then halves: the estimate follows within a few half-lives.
  for (let i = 0; i < 60; i++) {
    clock.advance(2000);
    p.tick(10);
  }
  const rate = Number(/, ([\d.]+)\/s/.exec(lines.at(-1)!)![1]);
  assert.ok(Math.abs(rate - 5) < 0.1, lines.at(-1));
});

Deno.test("createProgress() shows the last note after the counts", () => {
  const lines: string[] = [];
  const p = createProgress("training", 100, { write: (t) => lines.push(t), isTerminal: false }, {
    intervalMs: 0,
  });
  p.tick(20, "loss 2.5000");
  p.tick(20);
  p.done();
  assert.equal(lines[0], "training: 20/100 (20.0%), loss 2.5000\n");
  assert.equal(lines[1], "training: 40/100 (40.0%), loss 2.5000\n");
  assert.match(lines[2], /^training: 40\/100 \(40\.0%\) in [\d.]+s(, [\d.]+\/s)?, loss 2\.5000\n$/);
});

Deno.test("createProgress() redraws one line on a terminal", () => {
  const out: string[] = [];
  const p = createProgress("fit", 10, { write: (t) => out.push(t), isTerminal: true });
  p.tick();
  p.done();
  assert.ok(out[0].startsWith("\r\x1b[2Kfit: 1/10"));
  assert.ok(out.at(-1)!.startsWith("\r\x1b[2Kfit: 1/10") && out.at(-1)!.endsWith("\n"));
});

Deno.test("prefixLines() prefixes whole lines and turns terminal redraws into plain lines", async () => {
  const enc = new TextEncoder();
  const chunks = [
    "world: run",
    "ning (not computed before)\n\r\x1b[2Kscore 7B: 1/4 (25.0%)",
    "\r\x1b[2Kscore 7B: 2/4 (50.0%)\r\n\nlast line without newline",
  ];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(enc.encode(c));
      controller.close();
    },
  });
  const lines: string[] = [];
  await prefixLines(stream, "[shard 2/4] ", (l) => lines.push(l));
  assert.deepEqual(lines, [
    "[shard 2/4] world: running (not computed before)\n",
    "[shard 2/4] score 7B: 1/4 (25.0%)\n",
    "[shard 2/4] score 7B: 2/4 (50.0%)\n",
    "[shard 2/4] last line without newline\n",
  ]);
});

Deno.test("formatSeconds() picks a readable unit", () => {
  assert.equal(formatSeconds(4.21), "4.2s");
  assert.equal(formatSeconds(185), "3m05s");
  assert.equal(formatSeconds(3720), "1h02m");
});
