/** Reports progress of a long stage: items done, rate and ETA. */
export interface Progress {
  /**
   * Marks `n` more items done.
   *
   * @param n Items done since the last call (default 1).
   * @param note Short text shown after the counts until the next note, e.g. `loss 2.3411`.
   */
  tick(n?: number, note?: string): void;
  /** Ends the progress display with a final line. */
  done(): void;
}

/** Where progress lines go and whether it is a terminal (redrawn line) or a log (plain lines). */
export interface ProgressSink {
  /** Writes text as is (no newline added). */
  write(text: string): void;
  /** True for a terminal (one line redrawn in place), false for a log (plain lines). */
  isTerminal: boolean;
}

/** Tuning of {@linkcode createProgress}; every field is optional. */
export interface ProgressOptions {
  /** Minimum milliseconds between plain lines (default 5000). */
  intervalMs?: number;
  /** Ticks after the first before a rate and ETA are shown (default 3). */
  warmupTicks?: number;
  /** Milliseconds after the first tick before a rate and ETA are shown (default 3000). */
  warmupMs?: number;
  /** Half-life in milliseconds of the exponentially weighted rate (default 10000). */
  halfLifeMs?: number;
  /** Clock in milliseconds (default `performance.now`). */
  now?: () => number;
}

/**
 * Creates a progress reporter. On a terminal it redraws one line; otherwise it prints a plain line at
 * most every `intervalMs` milliseconds, and always a last line.
 *
 * The rate is an exponentially weighted mean of the recent rate, measured from the first tick (so the
 * time a stage spends before its first item, compiling or loading, does not count), and neither rate
 * nor ETA is shown until `warmupTicks` further ticks and `warmupMs` milliseconds have passed. The last
 * line gives the whole time and the mean rate over it.
 *
 * @param label What is being counted, e.g. `score 7B`.
 * @param total Items expected (the ETA needs it).
 * @param sink Output; defaults to stderr.
 * @param options Line interval, warm-up, rate half-life and clock.
 * @returns A {@link Progress}.
 */
export function createProgress(
  label: string,
  total: number,
  sink: ProgressSink = stderrSink(),
  options: ProgressOptions = {},
): Progress {
  const now = options.now ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? 5000;
  const warmupTicks = options.warmupTicks ?? 3;
  const warmupMs = options.warmupMs ?? 3000;
  const halfLifeMs = options.halfLifeMs ?? 10000;
  const start = now();
  let done = 0;
  let note = "";
  let last = -Infinity;
  // Rate: items per millisecond, exponentially weighted over time since the first tick.
  let first = NaN;
  let ticks = 0;
  let rate = NaN;
  let lastUpdate = NaN;
  let pending = 0;
  const counts = () => {
    const pct = total > 0 ? ((100 * done) / total).toFixed(1) : "100.0";
    return `${label}: ${done}/${total} (${pct}%)`;
  };
  const withNote = (text: string) => (note === "" ? text : `${text}, ${note}`);
  const line = (t: number) => {
    const warm = ticks >= warmupTicks && t - first >= warmupMs && Number.isFinite(rate) && rate > 0;
    if (!warm) return withNote(counts());
    const eta = Math.max(0, total - done) / rate / 1000;
    return withNote(`${counts()}, ${(rate * 1000).toFixed(1)}/s, ETA ${formatSeconds(eta)}`);
  };
  const update = (n: number, t: number) => {
    if (Number.isNaN(first)) {
      first = lastUpdate = t;
      return;
    }
    ticks++;
    pending += n;
    const dt = t - lastUpdate;
    if (!(dt > 0)) return;
    const recent = pending / dt;
    const weight = 1 - Math.pow(0.5, dt / halfLifeMs);
    rate = Number.isNaN(rate) ? recent : weight * recent + (1 - weight) * rate;
    pending = 0;
    lastUpdate = t;
  };
  return {
    tick(n = 1, text?: string) {
      done += n;
      if (text !== undefined) note = text;
      const t = now();
      update(n, t);
      if (sink.isTerminal) {
        if (t - last > 100) {
          sink.write(`\r\x1b[2K${line(t)}`);
          last = t;
        }
      } else if (t - last >= intervalMs) {
        sink.write(line(t) + "\n");
        last = t;
      }
    },
    done() {
      const secs = (now() - start) / 1000;
      const mean = secs > 0 ? `, ${(done / secs).toFixed(1)}/s` : "";
      sink.write(
        (sink.isTerminal ? `\r\x1b[2K` : "") + withNote(`${counts()} in ${formatSeconds(secs)}${mean}`) +
          "\n",
      );
    },
  };
}

/**
 * Seconds as `1h02m`, `3m05s` or `4.2s`.
 *
 * @param s Seconds.
 * @returns A short human-readable duration.
 */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/**
 * Copies a child process's output to `write` one whole line at a time, each prefixed, so that the
 * lines of several children running at once stay apart. A carriage return ends a line too, and the
 * clear-line sequence of a terminal redraw is dropped, so a redrawn progress line becomes plain lines;
 * empty lines are dropped.
 *
 * @param stream The child's output (e.g. its piped stderr).
 * @param prefix Put before every line, e.g. `[shard 2/4] `.
 * @param write Receives each prefixed line with its `\n`.
 * @returns When the stream ends (a last unterminated line is written with a `\n` added).
 */
export async function prefixLines(
  stream: ReadableStream<Uint8Array>,
  prefix: string,
  write: (line: string) => void,
): Promise<void> {
  let buffered = "";
  const flush = (final: boolean) => {
    const parts = buffered.split(/\r\n|\n|\r/);
    buffered = final ? "" : parts.pop()!;
    for (const part of parts) {
      const text = part.replaceAll("\x1b[2K", "");
      if (text !== "") write(`${prefix}${text}\n`);
    }
  };
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    flush(false);
  }
  flush(true);
}

function stderrSink(): ProgressSink {
  const enc = new TextEncoder();
  return { write: (t) => Deno.stderr.writeSync(enc.encode(t)), isTerminal: Deno.stderr.isTerminal() };
}
