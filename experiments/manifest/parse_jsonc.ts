import { parse, type ParseError, printParseErrorCode } from "jsonc-parser";
import { ManifestError } from "./manifest_error.ts";

/**
 * Parses JSON with comments and trailing commas; errors name the file, line and column.
 *
 * @param text The file's text.
 * @param file The file name, for messages.
 * @returns The parsed value.
 * @throws {ManifestError} On the first syntax error, e.g.
 *   `Cannot read manifest "x.jsonc": invalid JSONC at line 3, column 5: expected a comma`.
 */
export function parseJsonc(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const e = errors[0];
    const before = text.slice(0, e.offset);
    const line = before.split("\n").length;
    const column = e.offset - before.lastIndexOf("\n");
    const what = printParseErrorCode(e.error).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
    throw new ManifestError([
      `Cannot read manifest "${file}": invalid JSONC at line ${line}, column ${column}: ${what}`,
    ]);
  }
  return value;
}
