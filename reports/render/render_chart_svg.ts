/**
 * Headless Vega-Lite → SVG rendering (no canvas, no DOM, no network).
 *
 * @module
 */

import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { assertSelfContainedSvg, scopeSvgIds } from "./check_svg.ts";
import { replaceControlChars } from "./replace_control_chars.ts";

/** Options of {@linkcode renderChartSvg}. */
export interface RenderChartOptions {
  /** Prefix for the SVG's element ids (clip paths, gradients) so several charts can share a page. */
  idPrefix?: string;
  /** Name used in error messages; defaults to `chart`. */
  label?: string;
  /** Receives Vega-Lite and Vega warnings; defaults to `console.warn`. */
  onWarning?: (message: string) => void;
}

// Vega numbers clip paths and gradients with module-level counters; renders are serialised and the
// counters reset before each, so the same spec always gives the same SVG.
let queue: Promise<unknown> = Promise.resolve();

function refuseLoading(uri: string): Promise<never> {
  return Promise.reject(new TypeError(`Charts must be self-contained, but the spec asks to load ${uri}`));
}

// `sanitize` (links and images) resolves to an empty URL rather than rejecting: Vega's SVG renderer
// does not handle a rejection there. Any link or image that results is refused by the SVG check.
const offlineLoader: vega.Loader = {
  load: refuseLoading,
  sanitize: () => Promise.resolve({ href: "" }),
  http: refuseLoading,
  file: refuseLoading,
};

function makeLogger(onWarning: (message: string) => void) {
  const logger = {
    level: (_?: number) => logger,
    error: (...args: unknown[]) => (onWarning(args.map(String).join(" ")), logger),
    warn: (...args: unknown[]) => (onWarning(args.map(String).join(" ")), logger),
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

function isSize(value: unknown): boolean {
  return (typeof value === "number" && value > 0) ||
    (typeof value === "object" && value !== null && typeof (value as { step?: unknown }).step === "number");
}

function checkSpec(spec: TopLevelSpec, label: string): void {
  const top: Record<string, unknown> = { ...spec };
  if (("mark" in top || "layer" in top) && !(isSize(top.width) && isSize(top.height))) {
    throw new TypeError(`Cannot render ${label}: give the spec explicit numeric width and height`);
  }
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) return value.forEach((v, i) => visit(v, `${path}[${i}]`));
    if (typeof value !== "object" || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === "values") continue;
      if (key === "url" && path.endsWith(".data")) {
        throw new TypeError(`Cannot render ${label}: ${path}.url loads data; use inline data.values`);
      }
      if ((key === "width" || key === "height") && child === "container") {
        throw new TypeError(`Cannot render ${label}: ${path}.${key} is "container"; give a number`);
      }
      visit(child, `${path}.${key}`);
    }
  };
  visit(spec, "spec");
}

async function render(spec: TopLevelSpec, options: RenderChartOptions): Promise<string> {
  const label = options.label ?? "chart";
  const logger = makeLogger(options.onWarning ?? ((message) => console.warn(`${label}: ${message}`)));
  checkSpec(spec, label);
  let runtime: vega.Runtime;
  try {
    runtime = vega.parse(compile(structuredClone(spec), { logger }).spec);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TypeError(`Cannot render ${label}: invalid Vega-Lite spec (${reason})`, { cause: error });
  }
  vega.resetSVGDefIds();
  const view = new vega.View(runtime, {
    renderer: "none",
    loader: offlineLoader,
    logger,
    logLevel: vega.Warn,
  });
  try {
    // Vega escapes markup characters but passes control characters through; XML forbids most.
    const svg = replaceControlChars(await view.toSVG());
    assertSelfContainedSvg(svg, label);
    return options.idPrefix ? scopeSvgIds(svg, options.idPrefix) : svg;
  } finally {
    view.finalize();
  }
}

/**
 * Renders a Vega-Lite spec to an SVG string headlessly: compile to Vega, run a renderer-less view,
 * serialise to SVG. Text widths are estimated without a canvas, so specs must give explicit numeric
 * `width` and `height` (or `{step}`), and data must be inline (`data.values`); nothing is loaded.
 * The same spec always gives the same SVG, provided it uses no `random()` or local-time formats.
 *
 * @param spec Vega-Lite spec; not modified.
 * @param options Id prefix, error label and warning handler.
 * @returns The SVG markup, self-contained (checked).
 * @throws {TypeError} If the spec lacks sizes, loads data or yields SVG with links, images or scripts.
 * @throws {Error} What Vega-Lite or Vega throw for an invalid spec.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderChartSvg } from "./render_chart_svg.ts";
 * const svg = await renderChartSvg({
 *   width: 100,
 *   height: 50,
 *   data: { values: [{ x: "a", y: 1 }, { x: "b", y: 2 }] },
 *   mark: "bar",
 *   encoding: { x: { field: "x", type: "nominal" }, y: { field: "y", type: "quantitative" } },
 * });
 * assert.ok(svg.startsWith("<svg"));
 * ```
 */
export function renderChartSvg(spec: TopLevelSpec, options: RenderChartOptions = {}): Promise<string> {
  const result = queue.then(() => render(spec, options));
  queue = result.catch(() => undefined);
  return result;
}
