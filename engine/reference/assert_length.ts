/**
 * Argument checks shared by the reference ops.
 *
 * @module
 */

/**
 * Checks that a flat array has the length its shape implies.
 *
 * @param op The calling function, e.g. `"linearForward()"`.
 * @param name The argument name.
 * @param array The argument.
 * @param shape Its expected dimensions, named for the message, e.g. `{ rows: 3, in: 4 }`.
 * @throws {RangeError} When `array.length` differs from the product of the dimensions.
 */
export function assertLength(
  op: string,
  name: string,
  array: { length: number },
  shape: Readonly<Record<string, number>>,
): void {
  const expected = Object.values(shape).reduce((a, b) => a * b, 1);
  if (array.length !== expected) {
    const dims = Object.entries(shape).map(([dim, size]) => `${dim}=${size}`).join(", ");
    throw new RangeError(`${op}: ${name} has ${array.length} values, expected ${expected} for [${dims}]`);
  }
}
