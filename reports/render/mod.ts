/**
 * Report rendering: the report document model, headless Vega-Lite charts, `report.md` and the
 * self-contained `report.html`, atomic report folders with `latest.json`, the `report.json`
 * schema, and report-to-report diffs.
 *
 * @example
 * ```ts ignore
 * import { REPORT_SCHEMA_VERSION, writeReport } from "./mod.ts";
 * await writeReport("reports", doc.json.experiment, doc.json.runId, doc);
 * ```
 *
 * @module
 */

export * from "./document.ts";
export * from "./report_json_schema.ts";
export * from "./schema_version.ts";
export * from "./render_chart_svg.ts";
export * from "./check_svg.ts";
export * from "./render_html.ts";
export * from "./render_html_block.ts";
export * from "./render_markdown.ts";
export * from "./render_markdown_block.ts";
export * from "./cap_document.ts";
export * from "./collect_charts.ts";
export * from "./validate_document.ts";
export * from "./escape_html.ts";
export * from "./escape_markdown.ts";
export * from "./parse_inline.ts";
export * from "./inline_html.ts";
export * from "./inline_markdown.ts";
export * from "./format_number.ts";
export * from "./token_shade.ts";
export * from "./stable_json.ts";
export * from "./atomic_write.ts";
export * from "./update_latest.ts";
export * from "./write_report.ts";
export * from "./read_report_json.ts";
export * from "./diff_json.ts";
export * from "./diff_reports.ts";
export * from "./format_report_diff.ts";
export * from "./replace_control_chars.ts";
export * from "./budget_blocks.ts";
