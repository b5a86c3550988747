/**
 * Module groups: the tracked modules split into groups that a stage of the influence pipeline holds on
 * the device one at a time (docs/streaming.md). A stage with groups runs once per group (a pass over its
 * documents or queries each) and reads each group's inputs (eigenbases, Λ, query rows) when it starts,
 * from memory or, through a {@linkcode ModuleLoader}, from files written per module.
 *
 * @module
 */

import type { LayerEigenbasis } from "../cpu/eigendecompose_covariances.ts";
import type { LayerCovariance } from "../cpu/fit_covariances.ts";
import type { LayerLambda } from "../cpu/fit_lambda.ts";
import type { PreconditionFactors } from "../cpu/precondition_factors.ts";
import type { TrackedLayer } from "../tracked_layers.ts";

/** The influence stages, in run order: those a memory plan covers and module groups split. */
export const PLANNED_STAGES = [
  "fit covariances",
  "eigendecomposition",
  "Λ fit",
  "query gradients",
  "scoring",
] as const;

/** One of {@linkcode PLANNED_STAGES}. */
export type PlannedStage = typeof PLANNED_STAGES[number];

/**
 * Tracked modules per group, per stage: the stage holds that many modules (consecutive in forward order)
 * at a time, the last group taking the rest. A stage left out, or given at least as many as there are
 * modules, keeps every module resident.
 */
export type ModuleGroups = { readonly [S in PlannedStage]?: number };

/** Loads the data of some tracked modules by name (e.g. from files written per module). */
export type ModuleLoader<T> = (names: readonly string[]) => Promise<ReadonlyMap<string, T>>;

/** The data of every tracked module: resident in a map, or loaded one group at a time. */
export type ModuleSource<T> = ReadonlyMap<string, T> | ModuleLoader<T>;

/** The fitted factors of tracked modules: resident, or loaded one group at a time. */
export type FactorSource = PreconditionFactors | ((names: readonly string[]) => Promise<PreconditionFactors>);

/**
 * Checks a {@linkcode ModuleGroups} setting: known stages, each a positive integer.
 *
 * @param groups The setting.
 * @returns The problem, one line naming the field, what it must be and what was found; null when valid.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { moduleGroupsProblem } from "./module_groups.ts";
 * assert.equal(moduleGroupsProblem({ scoring: 4 }), null);
 * assert.match(moduleGroupsProblem({ scoring: 0 })!, /moduleGroups\["scoring"\] must be a positive integer/);
 * ```
 */
export function moduleGroupsProblem(groups: unknown): string | null {
  if (groups === null) return null;
  if (typeof groups !== "object" || Array.isArray(groups)) {
    return `moduleGroups must be null or an object of modules per group by stage (${
      PLANNED_STAGES.map((s) => `"${s}"`).join(", ")
    }), found ${JSON.stringify(groups)}`;
  }
  for (const [stage, size] of Object.entries(groups)) {
    if (!(PLANNED_STAGES as readonly string[]).includes(stage)) {
      return `moduleGroups has an unknown stage ${JSON.stringify(stage)}: expected one of ${
        PLANNED_STAGES.map((s) => `"${s}"`).join(", ")
      }`;
    }
    if (size !== undefined && !(Number.isSafeInteger(size) && size > 0)) {
      return `moduleGroups[${JSON.stringify(stage)}] must be a positive integer (modules per group), found ${
        JSON.stringify(size)
      }`;
    }
  }
  return null;
}

/**
 * The groups a stage holds: consecutive runs of `size` tracked modules in forward order (the last takes
 * the rest), or one group of all of them.
 *
 * @param layers The tracked layers, in forward order.
 * @param size Modules per group (undefined: all at once).
 * @returns The groups, in order; together every layer once.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupLayers } from "./module_groups.ts";
 * const layers = ["a", "b", "c", "d", "e"].map((name) => ({ name, outDim: 1, inDim: 1 }));
 * assert.deepEqual(groupLayers(layers, 2).map((g) => g.map((l) => l.name).join("")), ["ab", "cd", "e"]);
 * assert.equal(groupLayers(layers, undefined).length, 1);
 * ```
 */
export function groupLayers<L extends TrackedLayer>(layers: readonly L[], size: number | undefined): L[][] {
  if (size === undefined || size >= layers.length) return [[...layers]];
  const groups: L[][] = [];
  for (let first = 0; first < layers.length; first += size) groups.push(layers.slice(first, first + size));
  return groups;
}

/**
 * One group's data from a source: the map's entries, or what the loader returns, checked to hold every
 * name.
 *
 * @param op The caller, for the error.
 * @param source Resident map or loader.
 * @param names The group's tracked weight names.
 * @returns The group's data, keyed by name in the group's order.
 * @throws {RangeError} When a name is missing.
 */
export async function loadGroup<T>(
  op: string,
  source: ModuleSource<T>,
  names: readonly string[],
): Promise<Map<string, T>> {
  const got = typeof source === "function" ? await source(names) : source;
  return new Map(names.map((name) => {
    const value = got.get(name);
    if (value === undefined) throw new RangeError(`${op}: no data for tracked layer ${name}`);
    return [name, value];
  }));
}

/**
 * One group's factors from a factor source: the resident maps (all of them: callers index by name), or
 * what the loader returns for the group.
 *
 * @param source Resident factors or loader.
 * @param names The group's tracked weight names.
 * @returns The factors the group's preconditioner reads.
 */
export async function loadFactors(
  source: FactorSource,
  names: readonly string[],
): Promise<PreconditionFactors> {
  return typeof source === "function" ? await source(names) : source;
}

/** One tracked module's factors as a streamed fit keeps them between its phases. */
export interface ModuleFactors {
  /** A and S. */
  covariance: LayerCovariance;
  /** Q_A, Q_S and their eigenvalues. */
  eigen: LayerEigenbasis;
  /** Λ and D, once pass 2 is finished. */
  lambda?: LayerLambda;
}

/**
 * Where a streamed fit writes each module's factors as soon as they are fitted, and reads them back one
 * group at a time (a fit that holds every module uses none). A file-backed store writes each module
 * atomically: a failure never leaves a partial module behind.
 */
export interface FactorStore {
  /**
   * Saves one module's factors, replacing what was saved for it.
   *
   * @param name The tracked weight name.
   * @param factors Its factors.
   */
  write(name: string, factors: ModuleFactors): Promise<void>;
  /**
   * Reads modules' factors back.
   *
   * @param names Tracked weight names.
   * @returns Their factors by name.
   * @throws {Error} When a module was not saved.
   */
  read(names: readonly string[]): Promise<ReadonlyMap<string, ModuleFactors>>;
}

/** A {@linkcode FactorStore} in memory (tests, scripts; writes keep references, nothing is copied). */
export class MemoryFactorStore implements FactorStore {
  /** What was written, by name. */
  readonly modules: Map<string, ModuleFactors> = new Map();

  /**
   * Saves one module's factors.
   *
   * @param name The tracked weight name.
   * @param factors Its factors.
   */
  write(name: string, factors: ModuleFactors): Promise<void> {
    this.modules.set(name, factors);
    return Promise.resolve();
  }

  /**
   * Reads modules back.
   *
   * @param names Tracked weight names.
   * @returns Their factors.
   * @throws {RangeError} When a module was not written.
   */
  read(names: readonly string[]): Promise<ReadonlyMap<string, ModuleFactors>> {
    return Promise.resolve(
      new Map(names.map((name) => {
        const m = this.modules.get(name);
        if (m === undefined) throw new RangeError(`MemoryFactorStore: no factors were written for ${name}`);
        return [name, m];
      })),
    );
  }
}

/**
 * A factor source over a store: each group's eigenbases and Λ read when the group starts.
 *
 * @param store The store (every module written, Λ included).
 * @returns A loader for preconditioners.
 */
export function storedFactors(
  store: FactorStore,
): (names: readonly string[]) => Promise<PreconditionFactors> {
  return async (names) => {
    const modules = await store.read(names);
    const eigen = new Map<string, LayerEigenbasis>(), lambda = new Map<string, LayerLambda>();
    for (const [name, m] of modules) {
      eigen.set(name, m.eigen);
      if (m.lambda !== undefined) lambda.set(name, m.lambda);
    }
    return { eigen, lambda };
  };
}
