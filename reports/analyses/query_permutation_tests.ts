/**
 * Tests over queries: every finding's unit of inference is the query, one value per query. Three
 * permutation tests, each exact under its null's symmetry and two-sided: two groups of per-query values
 * (labels shuffled, studentized), per-query values against a fixed value (signs flipped), and F1's
 * within-set correlation of reasoning against factual queries (query set labels shuffled).
 *
 * @module
 */
import { Rng } from "../../fixtures/world/rng.ts";

/** A permutation test's outcome. */
export interface PermutationOutcome {
  /** The observed statistic (±Infinity when the groups are constant and apart). */
  statistic: number;
  /**
   * Two-sided p-value, (1 + #{|null| ≥ |observed|}) / (1 + draws), or the exact share when every
   * arrangement is enumerated; null when there is no effect to test (all values equal) or no draws.
   */
  pValue: number | null;
  /** Null draws made (arrangements enumerated, for an exact test). */
  draws: number;
  /** Whether every arrangement was enumerated (the p-value is exact). */
  exact: boolean;
}

/** Relative tolerance when counting null statistics as extreme as the observed one (rounding in sums). */
const TIE_TOLERANCE = 1e-9;

function atLeast(value: number, observed: number): boolean {
  const a = Math.abs(value), o = Math.abs(observed);
  if (o === Infinity) return a === Infinity;
  return a >= o - TIE_TOLERANCE * Math.max(1, o);
}

/** Welch t from sums of centred values; ±Infinity for constant groups apart, 0 for equal means. */
function welchT(sa: number, qa: number, na: number, sb: number, qb: number, nb: number): number {
  const ma = sa / na, mb = sb / nb;
  const va = Math.max(0, qa - na * ma * ma) / (na - 1), vb = Math.max(0, qb - nb * mb * mb) / (nb - 1);
  const diff = ma - mb;
  const se = Math.sqrt(va / na + vb / nb);
  if (se === 0 || se < 1e-12 * Math.max(Math.abs(ma), Math.abs(mb), 1e-300)) {
    return Math.abs(diff) <= 1e-12 * Math.max(Math.abs(ma), Math.abs(mb))
      ? 0
      : diff > 0
      ? Infinity
      : -Infinity;
  }
  return diff / se;
}

/**
 * Two-sided permutation test for a difference between two groups of per-query values, studentized: the
 * statistic is Welch's t, and its null distribution comes from reassigning the pooled values to groups
 * of the same sizes (uniform shuffles, seeded xoshiro128**). Exact under exchangeability of the queries;
 * studentizing keeps it valid for unequal variances as the groups grow. Constant groups apart give
 * t = ±Infinity and a p-value of about 1/(1 + draws) (no longer 0, as a t-test's would be).
 *
 * @param a Group A, at least two finite values.
 * @param b Group B, at least two finite values.
 * @param permutations Null draws (0: no p-value).
 * @param seed Seed of the shuffles.
 * @returns Welch's t of A − B and its permutation p-value (null when every value is equal).
 * @throws {RangeError} If a group has fewer than two values or a non-finite one.
 * @example
 * ```ts
 * import { twoGroupPermutationTest } from "./query_permutation_tests.ts";
 * const t = twoGroupPermutationTest([5, 6, 7, 6, 5, 6], [1, 2, 1, 2, 1, 2], 999, 1);
 * console.assert(t.statistic > 5 && t.pValue! < 0.01 && t.pValue! >= 1 / 1000);
 * ```
 */
export function twoGroupPermutationTest(
  a: readonly number[],
  b: readonly number[],
  permutations: number,
  seed: number,
): PermutationOutcome {
  checkSample("twoGroupPermutationTest", a, 2);
  checkSample("twoGroupPermutationTest", b, 2);
  const x = Float64Array.from([...a, ...b]);
  const n = x.length, na = a.length, nb = b.length;
  const centre = x.reduce((s, v) => s + v, 0) / n;
  for (let i = 0; i < n; i++) x[i] -= centre;
  let total = 0, totalSq = 0;
  for (const v of x) total += v, totalSq += v * v;
  const stat = (index: ArrayLike<number> | null) => {
    let sa = 0, qa = 0;
    for (let i = 0; i < na; i++) {
      const v = x[index === null ? i : index[i]];
      sa += v, qa += v * v;
    }
    return welchT(sa, qa, na, total - sa, totalSq - qa, nb);
  };
  const observed = stat(null);
  const allEqual = x.every((v) => v === x[0]);
  if (allEqual || permutations <= 0) return { statistic: observed, pValue: null, draws: 0, exact: false };
  const rng = new Rng(seed);
  const index = new Uint32Array(n);
  let above = 0;
  for (let k = 0; k < permutations; k++) {
    rng.permutation(index);
    if (atLeast(stat(index), observed)) above++;
  }
  return { statistic: observed, pValue: (1 + above) / (1 + permutations), draws: permutations, exact: false };
}

/**
 * Two-sided sign-flip test of per-query values against a fixed value: under the null the differences
 * x − value are symmetric about 0, so flipping their signs at random leaves their distribution unchanged.
 * The statistic is the one-sample t (a monotone function of the mean difference under sign flips). With
 * 2^n ≤ `permutations` every sign pattern is enumerated and the p-value is exact; otherwise
 * `permutations` random patterns are drawn. A p-value can never be below 2/2^n: n queries that all lie
 * above the value give p = 2^(1−n), however alike they are.
 *
 * @param values Per-query values, at least two, finite.
 * @param value The reference (a base rate ratio of 1, say).
 * @param permutations Null draws (0: no p-value).
 * @param seed Seed of the random signs.
 * @returns The one-sample t and its p-value (null when every value equals `value`).
 * @throws {RangeError} If there are fewer than two values or a non-finite one.
 * @example
 * ```ts
 * import { signFlipTest } from "./query_permutation_tests.ts";
 * const t = signFlipTest([4, 4, 4], 1, 1000, 1); // three queries alike: every sign pattern enumerated
 * console.assert(t.exact && t.pValue === 2 / 8 && t.statistic === Infinity);
 * ```
 */
export function signFlipTest(
  values: readonly number[],
  value: number,
  permutations: number,
  seed: number,
): PermutationOutcome {
  checkSample("signFlipTest", values, 2);
  const d = values.map((v) => v - value), n = d.length;
  const squares = d.reduce((s, v) => s + v * v, 0);
  const tOf = (sum: number) => {
    const m = sum / n, variance = Math.max(0, squares - n * m * m) / (n - 1);
    const se = Math.sqrt(variance / n);
    if (se === 0 || se < 1e-12 * Math.abs(m)) return m === 0 ? 0 : m > 0 ? Infinity : -Infinity;
    return m / se;
  };
  const observed = tOf(d.reduce((s, v) => s + v, 0));
  if (d.every((v) => v === 0) || permutations <= 0) {
    return { statistic: observed, pValue: null, draws: 0, exact: false };
  }
  if (n < 31 && 2 ** n <= permutations) {
    let above = 0;
    for (let mask = 0; mask < 2 ** n; mask++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (mask >>> i) & 1 ? -d[i] : d[i];
      if (atLeast(tOf(sum), observed)) above++;
    }
    return { statistic: observed, pValue: above / 2 ** n, draws: 2 ** n, exact: true };
  }
  const rng = new Rng(seed);
  let above = 0;
  for (let k = 0; k < permutations; k++) {
    let sum = 0;
    for (let i = 0; i < n; i += 32) {
      const bits = rng.nextUint32();
      for (let j = i; j < Math.min(n, i + 32); j++) sum += (bits >>> (j - i)) & 1 ? -d[j] : d[j];
    }
    if (atLeast(tOf(sum), observed)) above++;
  }
  return { statistic: observed, pValue: (1 + above) / (1 + permutations), draws: permutations, exact: false };
}

/**
 * Each query's mean Pearson r with the other queries of its set (F1's per-query value): one number per
 * query, so that tests count queries, not the n(n − 1)/2 pairs they form. Pairs with a NaN r (a constant
 * row) are left out; a query with no such pair gets NaN.
 *
 * @param matrix Row-major [n × n] correlations.
 * @param sets Query set of each row.
 * @returns Per query, its mean within-set r.
 * @example
 * ```ts
 * import { withinSetMeans } from "./query_permutation_tests.ts";
 * const m = [1, 0.8, 0.2, 0.8, 1, 0.4, 0.2, 0.4, 1];
 * const v = withinSetMeans(m, ["slopes", "slopes", "slopes"]);
 * console.assert(Math.abs(v[0] - 0.5) < 1e-12 && Math.abs(v[2] - 0.3) < 1e-12);
 * ```
 */
export function withinSetMeans(matrix: ArrayLike<number>, sets: readonly string[]): number[] {
  const n = sets.length;
  if (matrix.length !== n * n) {
    throw new RangeError(`withinSetMeans: matrix has ${matrix.length} values, expected ${n} × ${n}`);
  }
  return sets.map((set, i) => {
    let sum = 0, count = 0;
    for (let j = 0; j < n; j++) {
      const r = matrix[i * n + j];
      if (j !== i && sets[j] === set && !Number.isNaN(r)) sum += r, count++;
    }
    return count === 0 ? NaN : sum / count;
  });
}

/** Result of {@linkcode setLabelPermutationTest}. */
export interface SetLabelPermutationOutcome extends PermutationOutcome {
  /** Per query of A (in order of `a`): its mean r with the other queries of its set. */
  valuesA: number[];
  /** The same for B's queries. */
  valuesB: number[];
}

/**
 * F1's test at the level of queries: do queries of the reasoning sets correlate more with the other
 * queries of their set than factual queries do with theirs? The statistic is the mean over A's queries
 * of {@linkcode withinSetMeans} minus the same over B's. The null shuffles the set labels among all the
 * queries of A and B (set sizes kept) and recomputes every query's within-set mean: if set membership
 * does not matter, every relabelling is as likely as the observed one. The dependence between a
 * query's pairs is thereby kept, where a test over pairs would treat n(n − 1)/2 of them as independent.
 * Cost O(permutations × n²) on the correlation matrix alone.
 *
 * @param matrix Row-major [n × n] query correlations (NaN rows: constant scores).
 * @param sets Query set of each row.
 * @param a Query sets of group A (e.g. the reasoning sets).
 * @param b Query sets of group B (e.g. `["factual"]`).
 * @param permutations Null draws (0: no p-value).
 * @param seed Seed of the shuffles.
 * @returns The difference of the group means, its two-sided p-value and the per-query values; the
 *   p-value is null when a group has no query with a finite value.
 * @example
 * ```ts
 * import { setLabelPermutationTest } from "./query_permutation_tests.ts";
 * // Two slopes queries that correlate, two factual ones that do not.
 * const m = [1, 0.9, 0, 0, 0.9, 1, 0, 0, 0, 0, 1, 0.1, 0, 0, 0.1, 1];
 * const t = setLabelPermutationTest(m, ["slopes", "slopes", "factual", "factual"], ["slopes"], ["factual"], 99, 1);
 * console.assert(Math.abs(t.statistic - 0.8) < 1e-12 && t.valuesA.length === 2);
 * ```
 */
export function setLabelPermutationTest(
  matrix: ArrayLike<number>,
  sets: readonly string[],
  a: readonly string[],
  b: readonly string[],
  permutations: number,
  seed: number,
): SetLabelPermutationOutcome {
  const n = sets.length;
  const all = withinSetMeans(matrix, sets);
  // The queries that take part: those of A's and B's sets whose row is not constant.
  const members = sets.flatMap((s, i) =>
    (a.includes(s) || b.includes(s)) && !Number.isNaN(matrix[i * n + i]) ? [i] : []
  );
  const m = members.length;
  const labels = members.map((i) => sets[i]);
  const inA = labels.map((s) => a.includes(s));
  const sub = new Float64Array(m * m);
  members.forEach((i, x) => members.forEach((j, y) => (sub[x * m + y] = matrix[i * n + j])));
  // Label codes: query x currently has set code[x]; each relabelling permutes which query holds which label.
  const names = [...new Set(labels)];
  const code = Int32Array.from(labels, (s) => names.indexOf(s));
  const codeInA = names.map((s) => a.includes(s));
  const stat = (assigned: Int32Array) => {
    let sumA = 0, nA = 0, sumB = 0, nB = 0;
    for (let x = 0; x < m; x++) {
      let sum = 0, count = 0;
      const row = x * m, c = assigned[x];
      for (let y = 0; y < m; y++) {
        if (y !== x && assigned[y] === c) {
          const r = sub[row + y];
          if (r === r) sum += r, count++;
        }
      }
      if (count === 0) continue;
      if (codeInA[c]) sumA += sum / count, nA++;
      else sumB += sum / count, nB++;
    }
    return nA === 0 || nB === 0 ? NaN : sumA / nA - sumB / nB;
  };
  const valuesA = members.filter((_, x) => inA[x]).map((i) => all[i]).filter((v) => !Number.isNaN(v));
  const valuesB = members.filter((_, x) => !inA[x]).map((i) => all[i]).filter((v) => !Number.isNaN(v));
  const observed = stat(code);
  if (Number.isNaN(observed) || permutations <= 0) {
    return { statistic: observed, pValue: null, draws: 0, exact: false, valuesA, valuesB };
  }
  const rng = new Rng(seed);
  const index = new Uint32Array(m);
  const assigned = new Int32Array(m);
  let above = 0;
  for (let k = 0; k < permutations; k++) {
    rng.permutation(index);
    for (let x = 0; x < m; x++) assigned[x] = code[index[x]];
    const s = stat(assigned);
    if (!Number.isNaN(s) && atLeast(s, observed)) above++;
  }
  return {
    statistic: observed,
    pValue: (1 + above) / (1 + permutations),
    draws: permutations,
    exact: false,
    valuesA,
    valuesB,
  };
}

function checkSample(name: string, x: readonly number[], min: number): void {
  if (x.length < min) throw new RangeError(`${name}: a sample has ${x.length} values, need at least ${min}`);
  const bad = x.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`${name}: value ${bad} is ${x[bad]}, expected a finite number`);
}
