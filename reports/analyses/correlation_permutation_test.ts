import { Rng } from "../../fixtures/world/rng.ts";
import { standardizedRows } from "./standardized_rows.ts";

/** Result of {@linkcode correlationPermutationTest}. */
export interface PermutationTestResult {
  /** Mean Pearson r over the given row pairs. */
  observed: number;
  /** One-sided p-value for "observed is larger than chance": (1 + #{null ≥ observed}) / (1 + permutations). */
  pValue: number;
  /** Mean of the null distribution (≈ 0: a shuffled row is uncorrelated in expectation). */
  nullMean: number;
  /** Sample standard deviation of the null distribution (NaN with one permutation). */
  nullSd: number;
}

/** Tolerance when counting null values ≥ observed, so that rounding in a reordered sum cannot hide a tie. */
const TIE_TOLERANCE = 1e-12;

/**
 * Permutation test for a mean correlation (F1: do queries of one set share influential documents more than
 * chance?). Observed: the mean Pearson r over `pairRows`. Null: the same mean after the document order of the
 * second row of each pair is shuffled, independently per pair and per permutation (Fisher-Yates from the
 * identity, seeded xoshiro128**). The p-value is one-sided (large observed r is the alternative). Rows are
 * standardized once so each r is a dot product: cost O(permutations × pairs × documents), and the only
 * working memory is one index array plus the null values.
 *
 * @param scores Row-major [queries × documents] scores.
 * @param documents Number of documents (columns), at least 2.
 * @param pairRows Row pairs [first, second] to correlate; at least one.
 * @param permutations Number of null draws, a positive integer.
 * @param seed Seed of the shuffles; the same seed gives the same result.
 * @returns The observed mean r, its p-value and the null mean and spread.
 * @throws {RangeError} If there are no pairs, `permutations` is not a positive integer, a row of a pair is out
 * of range or constant, or `documents` is not an integer ≥ 2.
 * @example
 * ```ts
 * import { correlationPermutationTest } from "./correlation_permutation_test.ts";
 * const scores = new Float32Array([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 7]);
 * const t = correlationPermutationTest(scores, 6, [[0, 1]], 999, 1);
 * console.assert(t.observed > 0.98 && t.pValue < 0.05);
 * ```
 */
export function correlationPermutationTest(
  scores: ArrayLike<number>,
  documents: number,
  pairRows: readonly (readonly [number, number])[],
  permutations: number,
  seed: number,
): PermutationTestResult {
  if (pairRows.length === 0) throw new RangeError("correlationPermutationTest: pairRows is empty");
  if (!Number.isInteger(permutations) || permutations < 1) {
    throw new RangeError(
      `correlationPermutationTest: permutations must be a positive integer, got ${permutations}`,
    );
  }
  const pairs = pairRows.length;
  // Row-major [2 × pairs × documents]: the first rows of all pairs, then the second rows.
  const z = standardizedRows(scores, documents, [...pairRows.map((p) => p[0]), ...pairRows.map((p) => p[1])]);
  const bad = pairRows.findIndex((_, i) => Number.isNaN(z[i * documents] + z[(pairs + i) * documents]));
  if (bad >= 0) throw new RangeError(`correlationPermutationTest: pair ${bad} has a constant row`);
  const rng = new Rng(seed);
  let observed = 0;
  for (let p = 0; p < pairs; p++) {
    const a = p * documents, b = (pairs + p) * documents;
    let dot = 0;
    for (let d = 0; d < documents; d++) dot += z[a + d] * z[b + d];
    observed += dot;
  }
  observed /= pairs;
  const index = new Uint32Array(documents);
  const nullMeanR = () => {
    let total = 0;
    for (let p = 0; p < pairs; p++) {
      const a = p * documents, b = (pairs + p) * documents;
      rng.permutation(index);
      let dot = 0;
      for (let d = 0; d < documents; d++) dot += z[a + d] * z[b + index[d]];
      total += dot;
    }
    return total / pairs;
  };
  const nulls = new Float64Array(permutations);
  let above = 0, sum = 0;
  for (let k = 0; k < permutations; k++) {
    nulls[k] = nullMeanR();
    sum += nulls[k];
    if (nulls[k] >= observed - TIE_TOLERANCE) above++;
  }
  const nullMean = sum / permutations;
  let squares = 0;
  for (const v of nulls) squares += (v - nullMean) ** 2;
  return {
    observed,
    pValue: (1 + above) / (1 + permutations),
    nullMean,
    nullSd: permutations > 1 ? Math.sqrt(squares / (permutations - 1)) : NaN,
  };
}
