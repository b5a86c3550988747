/**
 * report.json's counterfactual fields, from the setups' counterfactual checks.
 *
 * @module
 */
import type { CounterfactualView } from "../sections/counterfactual_section.ts";

const pick = (v: { mean: number; low: number; high: number }) => ({ mean: v.mean, low: v.low, high: v.high });

/**
 * `validation.counterfactual[setup]` (k, query ids, protocol, `{mean, low, high}` per arm, per-set
 * breakdowns) and `validation.lds[setup][strategy]` (`{mean, low, high, subsets}`).
 *
 * @param views The checks of the setups that ran them.
 * @returns The two fields, or nothing when no setup ran the checks.
 */
export function counterfactualValidation(
  views: readonly CounterfactualView[],
): { counterfactual?: Record<string, unknown>; lds?: Record<string, unknown> } {
  if (views.length === 0) return {};
  const arms = (a: Record<string, { mean: number; low: number; high: number }>) =>
    Object.fromEntries(Object.entries(a).map(([arm, v]) => [arm, pick(v)]));
  return {
    counterfactual: Object.fromEntries(views.map((v) => [v.setup, {
      k: v.k,
      queries: v.queries,
      protocol: v.settings!.protocol,
      ...arms(v.arms),
      bySet: Object.fromEntries(Object.entries(v.bySet).map(([set, a]) => [set, arms(a)])),
    }])),
    lds: Object.fromEntries(views.map((v) => [
      v.setup,
      Object.fromEntries(
        Object.entries(v.lds).map(([strategy, l]) => [strategy, { ...pick(l), subsets: l.subsets }]),
      ),
    ])),
  };
}
