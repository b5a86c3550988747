import assert from "node:assert/strict";
import { join } from "node:path";
import {
  counterfactualFieldSchema,
  counterfactualValidation,
  ldsFieldSchema,
} from "../../reports/compose/counterfactual_validation.ts";
import type { CounterfactualView } from "../../reports/sections/counterfactual_section.ts";
import { stableStringify } from "../../reports/render/stable_json.ts";
import { readCounterfactualViews } from "../../experiments/stages/counterfactual_report.ts";
import type { StageContext } from "../../experiments/run/stage.ts";

const iv = (mean: number) => ({ mean, low: mean - 0.5, high: mean + 0.5 });
const arms = { topk: iv(3), random: iv(0), bottomk: iv(-2), identity: iv(2), lexical: iv(1) };

/** One setup's checks as the report reads them (an undefined LDS: NaN). */
function view(setup = "7B"): CounterfactualView {
  return {
    setup,
    settings: { protocol: "gradient", lr: 1e-5, steps: 1, epsilon: 1e-6, iterations: 150 },
    k: 10,
    queries: ["factual-1", "slopes-2"],
    strategy: "ekfac",
    arms: structuredClone(arms),
    bySet: { factual: structuredClone(arms), slopes: structuredClone(arms) },
    points: [{
      query: "factual-1",
      set: "factual",
      arm: "topk",
      measured: 0.2,
      predicted: 0.1,
      identity: 0.3,
    }],
    lds: {
      ekfac: { ...iv(0.4), subsets: 16 },
      kfac: { ...iv(0.3), subsets: 16 },
      diagonal: { ...iv(0.2), subsets: 16 },
      identity: { mean: NaN, low: NaN, high: NaN, subsets: 16 },
    },
    linearity: 1.02,
    pbrf: null,
  };
}

Deno.test("counterfactual validation: the fields of report.json, checked by their strict schemas", () => {
  assert.deepEqual(counterfactualValidation([]), {});
  const { counterfactual, lds } = counterfactualValidation([view("7B"), view("35B")]);
  assert.deepEqual(Object.keys(counterfactual!), ["7B", "35B"]);
  assert.deepEqual(counterfactual!["7B"], {
    k: 10,
    queries: ["factual-1", "slopes-2"],
    protocol: "gradient",
    ...arms,
    bySet: { factual: arms, slopes: arms },
  });
  assert.deepEqual(lds!["35B"], {
    ...view().lds,
    identity: { mean: null, low: null, high: null, subsets: 16 },
  }, "NaN as null: report.json holds finite numbers only");
  // Written as report.json (no NaN allowed) and read back, the fields parse to the same values.
  const json = JSON.parse(stableStringify({ counterfactual, lds }));
  assert.deepEqual(ldsFieldSchema.parse(json.lds["7B"]), lds!["7B"]);
  assert.deepEqual(counterfactualFieldSchema.parse(json.counterfactual["7B"]), counterfactual!["7B"]);
});

Deno.test("counterfactual validation: a bad field is one line naming report.json and the field", () => {
  const bad = (edit: (v: CounterfactualView) => void, message: RegExp) => {
    const v = view();
    edit(v);
    assert.throws(() => counterfactualValidation([v]), (e: Error) => {
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, message);
      return true;
    });
  };
  bad(
    (v) => (v.k = 0),
    /^report\.json: validation\.counterfactual\.7B\.k: Too small: expected number to be >0$/,
  );
  bad(
    (v) => (v.arms = Object.fromEntries(Object.entries(arms).filter(([arm]) => arm !== "lexical"))),
    /^report\.json: validation\.counterfactual\.7B\.lexical: expected object, received undefined$/,
  );
  bad(
    (v) => (v.bySet.slopes.topk = { mean: "1" as never, low: 0, high: 1 }),
    /^report\.json: validation\.counterfactual\.7B\.bySet\.slopes\.topk\.mean: expected number, received string$/,
  );
  bad((v) => (v.settings = null), /^report\.json: validation\.counterfactual\.7B\.protocol: Invalid option/);
  bad(
    (v) => (v.lds.ekfac.subsets = 2),
    /^report\.json: validation\.lds\.7B\.ekfac\.subsets: Too small: expected number to be >=3$/,
  );
  bad(
    (v) => (v.lds.fisher = { ...iv(0), subsets: 4 }),
    /^report\.json: validation\.lds\.7B: Unrecognized key: "fisher"$/,
  );
});

Deno.test("counterfactual views: counterfactual.json read through its schema, one-line errors", async () => {
  const dir = await Deno.makeTempDir();
  const inputs: Record<string, { dir: string }> = {};
  const write = async (setup: string, file: unknown) => {
    await Deno.mkdir(join(dir, setup));
    await Deno.writeTextFile(join(dir, setup, "counterfactual.json"), JSON.stringify(file) + "\n");
    inputs[`counterfactual@${setup}`] = { dir: join(dir, setup) };
  };
  const ctx = { inputs } as unknown as StageContext;
  // As the stage writes it: more settings and fields than the report reads, `n` per interval.
  const { setup: _, ...ran } = view();
  await write("7B", {
    ...ran,
    settings: { ...ran.settings, queries: 1, k: 10, seed: 3 },
    arms: { ...arms, topk: { ...arms.topk, n: 2 } },
    sets: ["factual", "slopes"],
    fineTunes: 26,
  });
  await write("35B", { settings: null });
  const views = await readCounterfactualViews(ctx, ["7B", "35B", "none"]);
  assert.equal(views.length, 1, "no view of a setup without the checks");
  assert.deepEqual(views[0], view(), "the fields the report reads, NaN from null, no others");

  await Deno.writeTextFile(
    join(dir, "7B", "counterfactual.json"),
    JSON.stringify({ ...ran, lds: { ekfac: { ...iv(0), subsets: "16" } } }),
  );
  await assert.rejects(
    () => readCounterfactualViews(ctx, ["7B"]),
    new Error(
      `${join(dir, "7B", "counterfactual.json")}: lds.ekfac.subsets: expected number, received string`,
    ),
  );
  await Deno.writeTextFile(join(dir, "7B", "counterfactual.json"), "{");
  await assert.rejects(
    () => readCounterfactualViews(ctx, ["7B"]),
    (e: Error) =>
      e.message.startsWith(`${join(dir, "7B", "counterfactual.json")}: `) && !e.message.includes("\n"),
  );
  await Deno.remove(dir, { recursive: true });
});
