import { linearRegression, rSquared } from "simple-statistics";

/** Least-squares fit of log score against log rank. */
export interface PowerLawFit {
  /** Slope α of log s = c + α log rank (negative: scores fall with rank). */
  alpha: number;
  /** Intercept c (natural log of the fitted top score). */
  intercept: number;
  /** Coefficient of determination of the fit in log-log space. */
  r2: number;
  /** Number of points fitted. */
  n: number;
}

/**
 * Rank-size power law of a query's top positive scores (F2; paper: α ≈ −0.36 for reasoning, −0.32 to −0.34
 * for factual over the top 500). The top `topN` strictly positive scores, sorted descending, are fitted by
 * ordinary least squares as log s = c + α log rank, natural logs, rank 1-based. With fewer than 3 points
 * (too few to judge a fit) every field but `n` is NaN; `r2` is NaN when all fitted scores are equal.
 *
 * @param row One query's scores over all documents.
 * @param topN Number of top positive scores to fit, a positive integer.
 * @returns The slope, intercept, R² and number of points.
 * @throws {RangeError} If `topN` is not a positive integer.
 * @example
 * ```ts
 * import { powerLawFit } from "./power_law_fit.ts";
 * const fit = powerLawFit(new Float64Array([2, 6, -1, 1.5, 3]), 10);
 * console.assert(Math.abs(fit.alpha + 1) < 1e-12 && Math.abs(fit.r2 - 1) < 1e-12 && fit.n === 4);
 * ```
 */
export function powerLawFit(row: ArrayLike<number>, topN: number): PowerLawFit {
  if (!Number.isInteger(topN) || topN < 1) {
    throw new RangeError(`powerLawFit: topN must be a positive integer, got ${topN}`);
  }
  const values: number[] = [];
  for (let d = 0; d < row.length; d++) if (row[d] > 0) values.push(row[d]);
  const positive = Float64Array.from(values).sort().reverse();
  const top = positive.subarray(0, topN);
  const n = top.length;
  if (n < 3) return { alpha: NaN, intercept: NaN, r2: NaN, n };
  const points = Array.from(top, (s, i) => [Math.log(i + 1), Math.log(s)]);
  const { m, b } = linearRegression(points);
  return { alpha: m, intercept: b, r2: rSquared(points, (x) => b + m * x), n };
}
