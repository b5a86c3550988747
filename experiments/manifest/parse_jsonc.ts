import { createScanner, parse, type ParseError, printParseErrorCode } from "jsonc-parser";
import { formatPath } from "./json_path.ts";
import { ManifestError } from "./manifest_error.ts";

/**
 * Deepest nesting of objects and arrays a manifest may have. The schema's deepest path is five levels;
 * the limit keeps the recursive parser far from the stack's end (100k-deep input overflows it).
 */
export const MAX_JSONC_DEPTH = 64;

/** Keys that an object literal turns into a prototype change instead of an own property. */
const FORBIDDEN_KEYS = new Set(["__proto__"]);

/** jsonc-parser's token codes (its `SyntaxKind` is a const enum, not available at run time). */
const TOKEN = {
  openBrace: 1,
  closeBrace: 2,
  openBracket: 3,
  closeBracket: 4,
  comma: 5,
  colon: 6,
  string: 10,
  eof: 17,
} as const;

/**
 * Parses JSON with comments and trailing commas; errors name the file, line and column. Refuses input
 * nested deeper than {@link MAX_JSONC_DEPTH}, a key written twice in one object (JSON would keep only
 * the last) and the key `__proto__` (which JavaScript would drop).
 *
 * @param text The file's text.
 * @param file The file name, for messages.
 * @returns The parsed value.
 * @throws {ManifestError} On the first syntax error, e.g.
 *   `Cannot read manifest "x.jsonc": invalid JSONC at line 3, column 5: expected a comma`.
 */
export function parseJsonc(text: string, file: string): unknown {
  const prefix = `Cannot read manifest "${file}": `;
  const deep = findTooDeep(text);
  if (deep !== undefined) {
    throw new ManifestError([
      `${prefix}nesting deeper than ${MAX_JSONC_DEPTH} objects and arrays at line ${deep.line}, ` +
      `column ${deep.column}; a manifest needs at most a few levels`,
    ]);
  }
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const e = errors[0];
    const before = text.slice(0, e.offset);
    const line = before.split("\n").length;
    const column = e.offset - before.lastIndexOf("\n");
    const what = printParseErrorCode(e.error).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
    throw new ManifestError([`${prefix}invalid JSONC at line ${line}, column ${column}: ${what}`]);
  }
  const problems = findKeyProblems(text);
  if (problems.length > 0) throw new ManifestError(problems.map((p) => prefix + p));
  return value;
}

/** Line and column (1-based) of the first bracket that opens a level beyond the limit. */
function findTooDeep(text: string): { line: number; column: number } | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let token = scanner.scan(); token !== TOKEN.eof; token = scanner.scan()) {
    if (token === TOKEN.openBrace || token === TOKEN.openBracket) {
      if (++depth > MAX_JSONC_DEPTH) {
        return { line: scanner.getTokenStartLine() + 1, column: scanner.getTokenStartCharacter() + 1 };
      }
    } else if (token === TOKEN.closeBrace || token === TOKEN.closeBracket) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

interface Frame {
  /** Keys seen in this object; undefined for an array. */
  keys: Set<string> | undefined;
  /** The key or index of the value being read in this container. */
  at: string | number;
  /** Whether the next string in this object is a key. */
  expectKey: boolean;
}

/**
 * Keys written twice in one object, and forbidden keys, of syntactically valid JSONC: one line each,
 * naming the object's JSON path, the key, and where it is.
 */
function findKeyProblems(text: string): string[] {
  const scanner = createScanner(text, true);
  const stack: Frame[] = [];
  const problems: string[] = [];
  const path = () => stack.slice(0, -1).map((f) => f.at);
  for (let token = scanner.scan(); token !== TOKEN.eof; token = scanner.scan()) {
    const top = stack.at(-1);
    if (token === TOKEN.string && top?.keys !== undefined && top.expectKey) {
      const key = scanner.getTokenValue();
      const where = `line ${scanner.getTokenStartLine() + 1}, column ${scanner.getTokenStartCharacter() + 1}`;
      const object = stack.length === 1 ? "the top level" : formatPath(path());
      if (FORBIDDEN_KEYS.has(key)) {
        problems.push(`${object} has key "${key}" (${where}), which is not allowed`);
      } else if (top.keys.has(key)) {
        problems.push(`${object} has key "${key}" twice (the second at ${where}); remove one`);
      }
      top.keys.add(key);
      top.at = key;
      top.expectKey = false;
    } else if (token === TOKEN.openBrace) {
      stack.push({ keys: new Set(), at: "", expectKey: true });
    } else if (token === TOKEN.openBracket) {
      stack.push({ keys: undefined, at: 0, expectKey: false });
    } else if (token === TOKEN.closeBrace || token === TOKEN.closeBracket) {
      stack.pop();
    } else if (token === TOKEN.comma && top !== undefined) {
      if (top.keys !== undefined) top.expectKey = true;
      else top.at = (top.at as number) + 1;
    }
  }
  return problems;
}
