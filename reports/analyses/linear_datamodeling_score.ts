import { sampleRankCorrelation } from "simple-statistics";
import { bootstrapMean, type BootstrapOptions, type MeanInterval } from "./bootstrap_mean.ts";

/** The linear datamodeling score of one strategy, over queries. */
export interface LinearDatamodelingScore extends MeanInterval {
  /** Spearman correlation per query (NaN where either side is constant). */
  perQuery: number[];
  /** Subsets (fine-tunes) each correlation is over. */
  subsets: number;
}

/**
 * The linear datamodeling score (LDS; Park et al. 2023, TRAK): for each query, the Spearman correlation,
 * across M training subsets, between the predicted change of its measurement (the sum of its scores over
 * the subset) and the measured change after training on the subset; the LDS is their mean over queries,
 * with a percentile bootstrap interval over queries. Queries whose correlation is undefined (a constant
 * side) are left out of the mean.
 *
 * @param predicted Predicted change [queries][subsets].
 * @param measured Measured change [queries][subsets].
 * @param bootstrap Resamples, confidence and seed of the interval.
 * @returns The mean, interval, number of queries used and the per-query correlations.
 * @throws {RangeError} When the shapes disagree or there are fewer than 3 subsets.
 * @example
 * ```ts
 * import { linearDatamodelingScore } from "./linear_datamodeling_score.ts";
 * const measured = [[0.1, 0.3, -0.2, 0.05], [1, 2, 3, 4]];
 * const lds = linearDatamodelingScore(measured, measured, { resamples: 100, confidence: 0.95, seed: 1 });
 * console.assert(lds.mean === 1);
 * ```
 */
export function linearDatamodelingScore(
  predicted: readonly ArrayLike<number>[],
  measured: readonly ArrayLike<number>[],
  bootstrap: BootstrapOptions,
): LinearDatamodelingScore {
  if (predicted.length !== measured.length) {
    throw new RangeError(
      `linearDatamodelingScore: ${predicted.length} predicted rows but ${measured.length} measured rows`,
    );
  }
  const subsets = measured[0]?.length ?? 0;
  if (subsets < 3) throw new RangeError(`linearDatamodelingScore: need at least 3 subsets, got ${subsets}`);
  const perQuery = predicted.map((p, q) => {
    const m = measured[q];
    if (p.length !== subsets || m.length !== subsets) {
      throw new RangeError(
        `linearDatamodelingScore: query ${q} has ${p.length} and ${m.length} subsets, expected ${subsets}`,
      );
    }
    const x = Array.from(p), y = Array.from(m);
    const constant = (a: number[]) => a.every((v) => v === a[0]);
    return constant(x) || constant(y) ? NaN : sampleRankCorrelation(x, y);
  });
  const defined = perQuery.filter((r) => Number.isFinite(r));
  return { ...bootstrapMean(defined, bootstrap), perQuery, subsets };
}
