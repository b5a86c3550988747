/**
 * Analyses: grading completions, and the pure functions behind the findings F1-F5 (correlations,
 * cumulative influence, power laws, answer presence, procedure match, source ratios) with their tests.
 *
 * @module
 */
export { FORMATS, PROCEDURES, QUERY_SETS, SOURCES } from "../../fixtures/mod.ts";
export type {
  Document,
  Fact,
  Format,
  ProcedureLabel,
  ProcedureName,
  Query,
  QuerySet,
  Source,
  Step,
} from "../../fixtures/mod.ts";
export * from "./final_number.ts";
export * from "./is_correct.ts";
export * from "./accuracy_by_set.ts";
export * from "./planted_facts.ts";
export * from "./bootstrap_mean.ts";
export * from "./one_sample_t_test.ts";
export * from "./top_documents.ts";
export * from "./procedure_of_set.ts";
export * from "./contains_whole_word.ts";
export * from "./answer_presence.ts";
export * from "./procedure_match.ts";
export * from "./source_ratios.ts";
export * from "./standardized_rows.ts";
export * from "./query_correlations.ts";
export * from "./correlation_summary.ts";
export * from "./cross_setup_correlations.ts";
export * from "./correlation_permutation_test.ts";
export * from "./cumulative_influence.ts";
export * from "./power_law_fit.ts";
export * from "./welch_t_test.ts";
export * from "./top_score_multiplier.ts";
export * from "./step_diagnostics.ts";
