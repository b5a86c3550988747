/** Reports progress of a long stage: items done, rate and ETA. */
export interface Progress {
  /** Marks `n` more items done. */
  tick(n?: number): void;
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

/**
 * Creates a progress reporter. On a terminal it redraws one line; otherwise it prints a plain line at
 * most every `intervalMs` milliseconds, and always a last line.
 *
 * @param label What is being counted, e.g. `score 7B`.
 * @param total Items expected (the ETA needs it).
 * @param sink Output; defaults to stderr.
 * @param intervalMs Minimum time between plain lines.
 * @returns A {@link Progress}.
 */
export function createProgress(
  label: string,
  total: number,
  sink: ProgressSink = stderrSink(),
  intervalMs = 5000,
): Progress {
  const start = performance.now();
  let done = 0;
  let last = -Infinity;
  const line = () => {
    const secs = (performance.now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? (total - done) / rate : NaN;
    const pct = total > 0 ? ((100 * done) / total).toFixed(1) : "100.0";
    return `${label}: ${done}/${total} (${pct}%), ${rate.toFixed(1)}/s, ` +
      (Number.isFinite(eta) ? `ETA ${formatSeconds(eta)}` : "ETA ?");
  };
  return {
    tick(n = 1) {
      done += n;
      const now = performance.now();
      if (sink.isTerminal) {
        if (now - last > 100) {
          sink.write(`\r\x1b[2K${line()}`);
          last = now;
        }
      } else if (now - last >= intervalMs) {
        sink.write(line() + "\n");
        last = now;
      }
    },
    done() {
      sink.write((sink.isTerminal ? `\r\x1b[2K` : "") + line() + "\n");
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

function stderrSink(): ProgressSink {
  const enc = new TextEncoder();
  return { write: (t) => Deno.stderr.writeSync(enc.encode(t)), isTerminal: Deno.stderr.isTerminal() };
}
