/**
 * The report document model: what a run's report says, independent of the output format.
 *
 * Every string in a document is treated as untrusted text (it may quote corpus documents or model
 * completions). Renderers escape it for their format; no field is ever passed through as markup.
 * Fields documented as "inline text" additionally understand a tiny safe subset: `**bold**` and
 * `` `code` ``; everything else in them is literal.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import type { ReportJson } from "./report_json_schema.ts";

/** A complete report: a title, the machine-readable `report.json` payload and the human-readable sections. */
export interface ReportDocument {
  /** Report title (plain text). */
  title: string;
  /** Optional line under the title (plain text). */
  subtitle?: string;
  /** The payload written verbatim (keys sorted) to `report.json`. */
  json: ReportJson;
  /** Sections in reading order. */
  sections: Section[];
}

/** A top-level section of a report; `id` becomes the HTML anchor. */
export interface Section {
  /** Anchor id: a letter, then letters, digits, `-` or `_`; unique within the document. */
  id: string;
  /** Section heading (plain text). */
  title: string;
  /** Content in reading order. */
  blocks: Block[];
}

/** Any piece of section content. Discriminated by `kind`. */
export type Block =
  | HeadingBlock
  | ParagraphBlock
  | NoteBlock
  | TableBlock
  | ChartBlock
  | ListBlock
  | CodeBlock
  | KeyValueBlock
  | DetailsBlock
  | TokensBlock;

/** A sub-heading inside a section (sections themselves are level 2). */
export interface HeadingBlock {
  /** Block kind: `"heading"`. */
  kind: "heading";
  /** Heading text (plain text). */
  text: string;
  /** Heading level; defaults to 3. */
  level?: 3 | 4;
}

/** A paragraph of inline text. */
export interface ParagraphBlock {
  /** Block kind: `"paragraph"`. */
  kind: "paragraph";
  /** Inline text (`**bold**`, `` `code` ``) unless `plain` is set. Blank lines split paragraphs. */
  text: string;
  /** Treat `text` as plain text, with no inline markup (for quoted corpus or model text). */
  plain?: boolean;
}

/** A highlighted remark: an informational note or a warning (for example "these are proxies"). */
export interface NoteBlock {
  /** Block kind: `"note"`. */
  kind: "note";
  /** Inline text. */
  text: string;
  /** Visual tone; defaults to `"info"`. */
  tone?: "info" | "warning";
}

/** A table cell: text, a number (formatted by the column's format), or missing. */
export type TableCell = string | number | null;

/**
 * How numbers are shown. `auto` (the default): integers with thousands separators, other values
 * with 4 significant digits, exponential notation below 1e-4 or from 1e9 in magnitude.
 */
export type NumberFormat =
  | { style: "auto" }
  | { style: "fixed"; digits: number }
  | { style: "significant"; digits: number }
  | { style: "percent"; digits: number }
  | { style: "exponential"; digits: number }
  | { style: "integer" };

/** A table column. */
export interface TableColumn {
  /** Column header (plain text). */
  label: string;
  /** Cell alignment; defaults to right for columns holding any number, left otherwise. */
  align?: "left" | "right" | "center";
  /** Number formatting for this column's numeric cells. */
  format?: NumberFormat;
}

/** A data table. Every row must have one cell per column. */
export interface TableBlock {
  /** Block kind: `"table"`. */
  kind: "table";
  /** Columns, left to right. */
  columns: TableColumn[];
  /** Rows of cells (plain text or numbers). */
  rows: TableCell[][];
  /** Caption shown under the table (inline text). */
  caption?: string;
}

/** A Vega-Lite chart, rendered to SVG at write time. */
export interface ChartBlock {
  /** Block kind: `"chart"`. */
  kind: "chart";
  /** File stem for `charts/<id>.svg` and `charts/<id>.vl.json`: letters, digits, `-`, `_`; unique. */
  id: string;
  /** Chart title for captions and alt text (plain text). */
  title: string;
  /**
   * Vega-Lite spec with inline `data.values` and explicit numeric `width` and `height`. For charts
   * with thousands of marks (query × query heatmaps) set `aria: false` on the mark: it drops the
   * per-mark labels and cuts the SVG to about a third.
   */
  spec: TopLevelSpec;
  /** Caption shown under the chart (inline text). */
  caption?: string;
}

/** A bulleted or numbered list of inline-text items. */
export interface ListBlock {
  /** Block kind: `"list"`. */
  kind: "list";
  /** Items (inline text). */
  items: string[];
  /** Number the items; defaults to false. */
  ordered?: boolean;
}

/** Preformatted text, shown verbatim in a monospace block. */
export interface CodeBlock {
  /** Block kind: `"code"`. */
  kind: "code";
  /** The text, shown exactly. */
  text: string;
  /** Language hint for markdown fences (letters, digits, `+`, `-`, `_`); ignored otherwise. */
  language?: string;
}

/** One row of a key-value block. */
export interface KeyValuePair {
  /** The key (plain text). */
  key: string;
  /** The value; numbers use `format`, booleans print as `true`/`false`, null as a dash. */
  value: string | number | boolean | null;
  /** Number formatting when `value` is a number. */
  format?: NumberFormat;
}

/** Labelled values, such as run settings or provenance. */
export interface KeyValueBlock {
  /** Block kind: `"keyValue"`. */
  kind: "keyValue";
  /** Rows in display order. */
  pairs: KeyValuePair[];
}

/** A collapsible group of blocks (long per-query pages); readable without JavaScript. */
export interface DetailsBlock {
  /** Block kind: `"details"`. */
  kind: "details";
  /** The always-visible summary line (plain text). */
  summary: string;
  /** Content shown when expanded. */
  blocks: Block[];
  /** Start expanded; defaults to false. */
  open?: boolean;
}

/** One token of a shaded token sequence. */
export interface WeightedToken {
  /** The token's text, exactly as decoded (may hold spaces or newlines). */
  text: string;
  /** Signed weight; positive and negative get different hues, intensity grows with |weight|. */
  weight: number;
}

/** Text shaded token by token by a signed weight, such as per-token influence. */
export interface TokensBlock {
  /** Block kind: `"tokens"`. */
  kind: "tokens";
  /** Tokens in order; their texts concatenate to the shown text. */
  tokens: WeightedToken[];
  /** |weight| that gets full colour; defaults to the largest |weight| in the block. */
  scale?: number;
  /** Legend wording for the two signs (plain text); defaults to "positive" and "negative". */
  legend?: { positive: string; negative: string };
  /** Caption (inline text). */
  caption?: string;
}
