/**
 * The stylesheet inlined in every `report.html`.
 *
 * @module
 */

import { tokenShadeCss } from "./token_shade.ts";

/** CSS for `report.html`: readable on screen and in print, no external fonts or images. */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem 2rem 4rem; color: var(--fg); background: #fff;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 1.9rem; margin: 0 0 .2rem; }
h2 { font-size: 1.4rem; margin: 2.2rem 0 .8rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.15rem; margin: 1.6rem 0 .6rem; }
h4 { font-size: 1rem; margin: 1.2rem 0 .5rem; }
.subtitle { font-size: 1.1rem; color: var(--muted); margin: 0 0 .4rem; }
.run-meta { color: var(--muted); font-size: .9rem; margin: 0 0 1rem; }
nav.toc { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: .6rem 1.2rem; }
nav.toc ol { margin: .3rem 0; padding-left: 1.4rem; }
a { color: #0969da; }
code, pre, .tokens-text { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
code { background: var(--soft); padding: .1em .3em; border-radius: 4px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem;
  overflow-x: auto; white-space: pre; }
pre code { background: none; padding: 0; }
figure { margin: 1rem 0 1.4rem; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .4rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border: 1px solid var(--line); padding: .3rem .6rem; vertical-align: top; }
th { background: var(--soft); text-align: left; }
.al-right { text-align: right; font-variant-numeric: tabular-nums; }
.al-center { text-align: center; }
.al-left { text-align: left; }
.chart-svg svg { max-width: 100%; height: auto; }
.note { border-left: 4px solid #0969da; background: #ddf4ff; padding: .5rem .8rem; border-radius: 4px; }
.note-warning { border-left-color: #bf8700; background: #fff8c5; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1.2rem; margin: .8rem 0; }
dl.kv dt { font-weight: 600; }
dl.kv dd { margin: 0; overflow-wrap: anywhere; }
details { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .9rem; margin: .6rem 0; }
details[open] { padding-bottom: .9rem; }
summary { cursor: pointer; font-weight: 600; }
.tokens-text { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.8; border: 1px solid var(--line);
  border-radius: 6px; padding: .6rem .9rem; }
.tokens-text span { border-radius: 2px; }
.swatch { display: inline-block; width: .9em; height: .9em; vertical-align: -.1em; border-radius: 2px; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); padding-top: .6rem; }
@media print { nav.toc { display: none; } details { border: none; } }
${tokenShadeCss()}
`;
