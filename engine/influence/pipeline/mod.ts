/**
 * The influence pipeline over token-id rows (docs/method.md, "EK-FAC, step by step"): one typed
 * settings object ({@linkcode InfluencePipelineSettings}), one class per model and device
 * ({@linkcode InfluencePipeline}): fit the curvature factors by parts, precondition query gradients,
 * score documents in streamed chunks, per-token scores of the top documents, with the tracked modules
 * resident or held in groups (`moduleGroups`). Web-standard APIs only
 * (WebGPU, typed arrays); reading and writing files is the caller's.
 *
 * @module
 */

export * from "./token_rows.ts";
export * from "./module_groups.ts";
export * from "./pipeline_settings.ts";
export * from "./influence_model.ts";
export * from "./device_batch.ts";
export * from "./fit_plan.ts";
export * from "./fit_pass.ts";
export * from "./fitted_factors.ts";
export * from "./query_gradients.ts";
export * from "./score_documents.ts";
export * from "./query_matrices.ts";
export * from "./top_token_scores.ts";
export * from "./influence_pipeline.ts";
