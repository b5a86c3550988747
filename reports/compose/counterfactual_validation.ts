/**
 * report.json's counterfactual fields, from the setups' counterfactual checks.
 *
 * @module
 */
import { z } from "zod";
import { type CounterfactualView, LDS_STRATEGIES } from "../sections/counterfactual_section.ts";
import { checkedFields, finiteOrNull } from "./checked_fields.ts";

const interval = { mean: finiteOrNull, low: finiteOrNull, high: finiteOrNull };
const arm = z.strictObject(interval);
const arms = { topk: arm, random: arm, bottomk: arm, identity: arm, lexical: arm };

/**
 * `validation.counterfactual[setup]`: k, the sampled query ids, the protocol, `{mean, low, high}` of each
 * arm's change of log p(completion | prompt) (nats; null where undefined), and the same per query set.
 */
export const counterfactualFieldSchema = z.strictObject({
  k: z.number().int().positive(),
  queries: z.array(z.string()),
  protocol: z.enum(["gradient", "pbrf"]),
  ...arms,
  bySet: z.record(z.string(), z.strictObject(arms)),
});

/** `validation.lds[setup]`: per strategy, the LDS `{mean, low, high}` (null where undefined) and the subsets it
 * is over. */
export const ldsFieldSchema = z.partialRecord(
  z.enum(LDS_STRATEGIES),
  z.strictObject({ ...interval, subsets: z.number().int().min(3) }),
);

/** `validation.counterfactual[setup]` ({@linkcode counterfactualFieldSchema}). */
export type CounterfactualField = z.output<typeof counterfactualFieldSchema>;
/** `validation.lds[setup]` ({@linkcode ldsFieldSchema}). */
export type LdsField = z.output<typeof ldsFieldSchema>;

const pick = (v: { mean: number; low: number; high: number }) => ({ mean: v.mean, low: v.low, high: v.high });

/**
 * `validation.counterfactual[setup]` and `validation.lds[setup][strategy]`, each checked against its
 * strict schema.
 *
 * @param views The checks of the setups that ran them.
 * @returns The two fields, or nothing when no setup ran the checks.
 * @throws {Error} One line naming report.json, the field, what was expected and what was found, when a
 *   view does not give a field of its schema.
 */
export function counterfactualValidation(
  views: readonly CounterfactualView[],
): { counterfactual?: Record<string, CounterfactualField>; lds?: Record<string, LdsField> } {
  if (views.length === 0) return {};
  const armsOf = (a: Record<string, { mean: number; low: number; high: number }>) =>
    Object.fromEntries(Object.entries(a).map(([arm, v]) => [arm, pick(v)]));
  return {
    counterfactual: Object.fromEntries(views.map((v) => [
      v.setup,
      checkedFields(
        counterfactualFieldSchema,
        {
          k: v.k,
          queries: v.queries,
          protocol: v.settings?.protocol,
          ...armsOf(v.arms),
          bySet: Object.fromEntries(Object.entries(v.bySet).map(([set, a]) => [set, armsOf(a)])),
        },
        "report.json",
        ["validation", "counterfactual", v.setup],
      ),
    ])),
    lds: Object.fromEntries(views.map((v) => [
      v.setup,
      checkedFields(
        ldsFieldSchema,
        Object.fromEntries(
          Object.entries(v.lds).map(([strategy, l]) => [strategy, { ...pick(l), subsets: l.subsets }]),
        ),
        "report.json",
        ["validation", "lds", v.setup],
      ),
    ])),
  };
}
