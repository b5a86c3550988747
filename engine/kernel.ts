/**
 * Kernel descriptors: a WGSL program plus the shape of its bind group.
 *
 * Convention for every kernel file `engine/kernels/<name>.wgsl`:
 * - one entry point `main`, all bindings in `@group(0)`, numbered from 0 in the order of `bindings`;
 * - when the first binding is `"uniform"` it is a struct of 4-byte scalars (u32/i32/f32) filled from
 *   the dispatch's {@linkcode Params}, field order as written;
 * - compile-time constants (tile sizes, operation selectors) are not declared in the file: the host
 *   prepends `const NAME = value;` for each entry of the dispatch's `constants`, and each distinct set
 *   compiles once per device (see {@linkcode PipelineCache}).
 *
 * @module
 */

/**
 * How a binding is used:
 * - `"uniform"`: small parameter struct (`var<uniform>`), filled from `Params`;
 * - `"read"`: `var<storage, read>` buffer;
 * - `"read_write"`: `var<storage, read_write>` buffer;
 * - `"texture_read"` / `"texture_write"`: `texture_storage_2d_array<rgba32float, read|write>`.
 */
export type BindingKind = "uniform" | "read" | "read_write" | "texture_read" | "texture_write";

/** A compute kernel: WGSL source and its bind group layout. */
export interface Kernel {
  /** Short name used in error messages and pipeline labels. */
  readonly name: string;
  /** WGSL source of the module (without the host-prepended constants). */
  readonly source: string;
  /** Binding kinds of `@group(0)`, in binding-number order. */
  readonly bindings: readonly BindingKind[];
}

/** Compile-time constants prepended to a kernel's source as `const NAME = value;`. */
export type KernelConstants = Readonly<Record<string, number | boolean>>;

/**
 * Renders the source a kernel compiles to for one set of constants. Integers render as abstract
 * integers (usable as u32 or i32), other numbers as abstract floats.
 *
 * @param kernel The kernel.
 * @param constants Values for the constants the source uses but does not declare.
 * @returns WGSL source with the constant declarations first.
 * @throws {TypeError} When a constant value is not finite or a name is not a WGSL identifier.
 *
 * @example
 * ```ts
 * import { specialize } from "./kernel.ts";
 * const src = specialize({ name: "k", source: "fn f() -> u32 { return N; }", bindings: [] }, { N: 4 });
 * console.assert(src.startsWith("const N = 4;"));
 * ```
 */
export function specialize(kernel: Kernel, constants: KernelConstants = {}): string {
  const lines = Object.keys(constants).sort().map((name) => {
    const value = constants[name];
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new TypeError(
        `Cannot specialise kernel "${kernel.name}": constant name "${name}" is not an identifier`,
      );
    }
    if (typeof value === "boolean") return `const ${name} = ${value};`;
    if (!Number.isFinite(value)) {
      throw new TypeError(
        `Cannot specialise kernel "${kernel.name}": constant ${name} must be finite, got ${value}`,
      );
    }
    const literal = Number.isInteger(value) ? String(value) : value.toExponential();
    return `const ${name} = ${literal};`;
  });
  return lines.length === 0 ? kernel.source : `${lines.join("\n")}\n${kernel.source}`;
}
