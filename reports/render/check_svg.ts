/**
 * Post-render checks and rewrites of Vega's SVG output before it is written or inlined in HTML.
 *
 * Vega's SVG string renderer escapes `& < >` in all text and attribute values, so every `<...>` in
 * its output is a real tag; the functions here rely on that.
 *
 * @module
 */

const TAG = /<([A-Za-z][\w:-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*\/?>/g;
const ATTRIBUTE = /([\w:-]+)(?:="([^"]*)")?/g;
const FORBIDDEN_ELEMENTS = new Set([
  "script",
  "style",
  "foreignobject",
  "iframe",
  "object",
  "embed",
  "image",
  "a",
  "use",
]);

/**
 * Checks that an SVG document is self-contained and inert: no scripts, links, images, embedded
 * documents or event-handler attributes, and no `url(...)` other than references to its own ids.
 *
 * @param svg SVG markup from Vega.
 * @param label What to name in the error, for example `chart "f1-heatmap"`.
 * @throws {TypeError} Naming the offending element or attribute.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertSelfContainedSvg } from "./check_svg.ts";
 * assertSelfContainedSvg('<svg><rect fill="url(#g)"/></svg>', "chart");
 * assert.throws(() => assertSelfContainedSvg('<svg><a xlink:href="http://x"></a></svg>', "chart"), TypeError);
 * ```
 */
export function assertSelfContainedSvg(svg: string, label: string): void {
  if (!/^\s*<svg[\s>]/.test(svg)) {
    throw new TypeError(`Cannot inline ${label}: the output is not an SVG document`);
  }
  let tags = 0;
  for (const [, name, attributes] of svg.matchAll(TAG)) {
    tags++;
    if (FORBIDDEN_ELEMENTS.has(name.toLowerCase())) {
      throw new TypeError(
        `Cannot inline ${label}: its SVG holds a <${name}> element; charts must be self-contained`,
      );
    }
    for (const [, attribute, value = ""] of attributes.matchAll(ATTRIBUTE)) {
      const lower = attribute.toLowerCase();
      if (lower.startsWith("on") || lower === "href" || lower.endsWith(":href")) {
        throw new TypeError(`Cannot inline ${label}: its SVG has a ${attribute} attribute`);
      }
      for (const [, target] of value.matchAll(/url\(\s*['"]?([^)'"]*)/gi)) {
        if (!target.startsWith("#")) {
          throw new TypeError(`Cannot inline ${label}: its SVG refers to an outside resource url(${target})`);
        }
      }
    }
  }
  // Every "<" that does not close an element must have been read as a tag above.
  if (tags !== (svg.match(/<(?!\/)/g) ?? []).length) {
    throw new TypeError(`Cannot inline ${label}: its SVG holds markup that is not a plain element`);
  }
}

/**
 * Prefixes every `id` of an SVG document and every `url(#id)` reference to it, so several SVGs can
 * be inlined in one HTML page without their clip paths and gradients colliding.
 *
 * @param svg SVG markup.
 * @param prefix Prefix for ids (letters, digits, `-`, `_`).
 * @returns The rewritten markup.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scopeSvgIds } from "./check_svg.ts";
 * assert.equal(
 *   scopeSvgIds('<clipPath id="clip1"/><g clip-path="url(#clip1)"/>', "c-"),
 *   '<clipPath id="c-clip1"/><g clip-path="url(#c-clip1)"/>',
 * );
 * ```
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(prefix)) {
    throw new TypeError(
      `Cannot scope SVG ids with prefix ${JSON.stringify(prefix)}: use letters, digits, - or _`,
    );
  }
  return svg.replace(TAG, (tag) =>
    tag
      .replace(/(\sid=")([^"]*")/g, `$1${prefix}$2`)
      .replace(/url\(#/g, `url(#${prefix}`));
}
