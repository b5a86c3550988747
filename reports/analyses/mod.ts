/**
 * Analyses of query completions: the stated final answer, grading, and accuracy per query set.
 *
 * @module
 */
export * from "./final_number.ts";
export * from "./is_correct.ts";
export * from "./accuracy_by_set.ts";
export * from "./planted_facts.ts";
