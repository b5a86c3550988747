import assert from "node:assert/strict";
import {
  controlsFileSchema,
  factorLayersSchema,
  parseArtifactJson,
  queriesFileSchema,
  scoresFileSchema,
} from "../../experiments/influence/artifact_files.ts";

const queries = {
  ids: ["q1", "q1#gold"],
  sets: ["factual", "factual"],
  nats: [1.5, 2],
  correct: [true, true],
  measurement: ["own", "gold"],
  completionTokens: [3, 4],
  selection: {
    pool: 1,
    right: 1,
    wrong: 0,
    keptRight: 1,
    keptWrong: 0,
    paperDraw: false,
    balanced: false,
    chosen: ["q1"],
  },
  strategy: "ekfac",
  damping: { "model.layers.0.mlp.up_proj.weight": 0.01 },
  queryRank: null,
  layers: [{ name: "model.layers.0.mlp.up_proj.weight", outDim: 24, inDim: 16 }],
  rawGradients: true,
  rawRows: 1,
};
const scores = {
  queries: ["q1", "q1#gold"],
  sets: ["factual", "factual"],
  measurement: ["own", "gold"],
  correct: [true, true],
  nats: [1.5, 2],
  documents: ["d1", "d2", "d3"],
  influence: { strategy: "ekfac" },
  sign: "positive",
};
const controls = {
  queries: ["q1"],
  documents: ["d1"],
  lexical: { k1: 1.2, b: 0.75, terms: "words" },
  untrained: { strategy: "identity", seed: 3, nats: [0.5] },
};
const accuracy = { sweeps: 4, orthogonalityError: 1e-15, reconstructionError: 1e-14 };
const layers = [{
  name: "model.layers.0.mlp.up_proj.weight",
  outDim: 24,
  inDim: 16,
  tokens: 100,
  sequences: 8,
  lambdaSequences: 8,
  blocks: 1,
  accuracy: { a: accuracy, s: accuracy },
}];

const text = (value: unknown) => JSON.stringify(value);

Deno.test("artifact files as their writers write them parse unchanged (scores.json keeps unread fields)", () => {
  assert.deepEqual(parseArtifactJson("queries.json", text(queries), queriesFileSchema), queries);
  assert.deepEqual(parseArtifactJson("scores.json", text(scores), scoresFileSchema), scores);
  assert.deepEqual(parseArtifactJson("controls.json", text(controls), controlsFileSchema), controls);
  assert.deepEqual(parseArtifactJson("f#layers", text(layers), factorLayersSchema), layers);
});

Deno.test("a bad artifact file stops with one line naming the file and the field", () => {
  const cases: [string, () => unknown, string][] = [
    [
      "a wrong type",
      () => parseArtifactJson("s/scores.json", text({ ...scores, nats: "x" }), scoresFileSchema),
      'Cannot read "s/scores.json": nats must be an array, got "x"',
    ],
    [
      "a missing field",
      () => parseArtifactJson("q/queries.json", text({ ...queries, ids: undefined }), queriesFileSchema),
      'Cannot read "q/queries.json": ids is required (an array)',
    ],
    [
      "rows that disagree",
      () => parseArtifactJson("s/scores.json", text({ ...scores, nats: [1] }), scoresFileSchema),
      'Cannot read "s/scores.json": nats must have one entry per queries entry (2), got 1',
    ],
    [
      "a nested field",
      () =>
        parseArtifactJson(
          "c/controls.json",
          text({ ...controls, untrained: { ...controls.untrained, nats: [] } }),
          controlsFileSchema,
        ),
      'Cannot read "c/controls.json": untrained.nats must have one entry per queries entry (1), got 0',
    ],
    [
      "a value outside its set",
      () => parseArtifactJson("q/queries.json", text({ ...queries, strategy: "exact" }), queriesFileSchema),
      'Cannot read "q/queries.json": strategy must be one of "ekfac", "kfac", "diagonal", "identity", got "exact"',
    ],
    [
      "a negative width in the factors' metadata",
      () =>
        parseArtifactJson(
          "f/factors.safetensors#layers",
          text([{ ...layers[0], outDim: -1 }]),
          factorLayersSchema,
        ),
      'Cannot read "f/factors.safetensors#layers": [0].outDim must be a number >= 0, got -1',
    ],
    [
      "text that is not JSON",
      () => parseArtifactJson("s/scores.json", "{", scoresFileSchema),
      'Cannot read "s/scores.json": not JSON (',
    ],
  ];
  for (const [what, run, message] of cases) {
    assert.throws(run, (e: unknown) => {
      const m = (e as Error).message;
      assert.ok(m.startsWith(message), `${what}: ${m}`);
      assert.ok(!m.includes("\n"), `${what}: ${m}`);
      return true;
    });
  }
});
