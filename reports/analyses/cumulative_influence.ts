/** How much of a query's positive influence its top documents carry. */
export interface CumulativeInfluence {
  /** Sum of the row's strictly positive scores. */
  totalPositive: number;
  /** Number of strictly positive scores. */
  positiveDocuments: number;
  /** Per percent p: sum of the top ⌈p/100 × positiveDocuments⌉ positive scores. */
  absolute: number[];
  /** Per percent p: `absolute / totalPositive` (NaN when no score is positive). */
  share: number[];
}

/**
 * Cumulative positive influence of a query's top documents (F2: reasoning relies less on each document than
 * factual recall). The strictly positive scores are sorted descending; for each percent p the top
 * ⌈p/100 × positiveDocuments⌉ of them are summed (p·n/100 is rounded down by 1e-9 before the ceiling so that
 * float error cannot add a document). Sums are in float64. Pass per-nat scores for the paper's totals.
 *
 * @param row One query's scores over all documents.
 * @param percents Percents p in [0, 100], e.g. [1, 5, 10, 100].
 * @returns The total, the count and the cumulative sums and shares per percent.
 * @throws {RangeError} If a percent is not a number in [0, 100].
 * @example
 * ```ts
 * import { cumulativeInfluence } from "./cumulative_influence.ts";
 * const c = cumulativeInfluence(new Float32Array([4, -1, 1, 3, 2]), [25, 50, 100]);
 * console.assert(c.totalPositive === 10 && c.absolute.join() === "4,7,10" && c.share[1] === 0.7);
 * ```
 */
export function cumulativeInfluence(
  row: ArrayLike<number>,
  percents: readonly number[],
): CumulativeInfluence {
  const bad = percents.find((p) => !(p >= 0 && p <= 100));
  if (bad !== undefined) throw new RangeError(`cumulativeInfluence: percent ${bad} is outside [0, 100]`);
  const values: number[] = [];
  for (let d = 0; d < row.length; d++) if (row[d] > 0) values.push(row[d]);
  const positive = Float64Array.from(values).sort().reverse();
  const n = positive.length;
  // prefix[k] = sum of the top k positive scores.
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + positive[i];
  const totalPositive = prefix[n];
  const absolute = percents.map((p) => prefix[Math.min(n, Math.ceil((p * n) / 100 - 1e-9))]);
  return {
    totalPositive,
    positiveDocuments: n,
    absolute,
    share: absolute.map((a) => (n > 0 ? a / totalPositive : NaN)),
  };
}
