/**
 * {@linkcode computeFindings} with F1's permutation tests — most of the analyses' time — run in
 * parallel Web Workers. The result is identical to `computeFindings(input)`: each test is a pure
 * function of its arguments and seed, so only where it runs changes.
 *
 * @module
 */
import type { PermutationTestResult } from "../analyses/correlation_permutation_test.ts";
import { computeFindings, type Findings, setupF1 } from "./compute_findings.ts";
import type { PermutationTestFn } from "./f1_correlations.ts";
import type { FindingsInput } from "./findings_input.ts";

/** One permutation test's arguments, as recorded and sent to a worker. */
export interface PermutationJob {
  scores: Float64Array;
  documents: number;
  pairs: [number, number][];
  permutations: number;
  seed: number;
}

/**
 * Measures the findings with F1's permutation tests spread over `workers` Web Workers: a first pass
 * of F1 alone records the tests' arguments, the workers run them, largest first, and
 * `computeFindings` uses their results in the order recorded. With one worker or fewer, or one test,
 * it is `computeFindings(input)`.
 *
 * @param input Scores, documents, settings, seed.
 * @param workers Worker count (e.g. the CPU count).
 * @returns The findings, equal to `computeFindings(input)`.
 */
export async function computeFindingsParallel(input: FindingsInput, workers: number): Promise<Findings> {
  if (workers <= 1) return computeFindings(input);
  const jobs: PermutationJob[] = [];
  const record: PermutationTestFn = (scores, documents, pairs, permutations, seed) => {
    jobs.push({
      scores: Float64Array.from(scores),
      documents,
      pairs: pairs.map(([a, b]) => [a, b]),
      permutations,
      seed,
    });
    return { observed: NaN, pValue: NaN, nullMean: NaN, nullSd: NaN };
  };
  input.setups.forEach((_, i) => setupF1(input, i, record));
  if (jobs.length <= 1) return computeFindings(input);
  const results = await runPermutationJobs(jobs, workers);
  let next = 0;
  const replay: PermutationTestFn = (_scores, documents, pairs, permutations, seed) => {
    const job = jobs[next];
    if (
      job === undefined || job.documents !== documents || job.pairs.length !== pairs.length ||
      job.permutations !== permutations || job.seed !== seed
    ) {
      throw new Error(`computeFindingsParallel(): permutation test ${next} differs between the passes`);
    }
    return results[next++];
  };
  const findings = computeFindings(input, replay);
  if (next !== jobs.length) {
    throw new Error(`computeFindingsParallel(): ${jobs.length} tests recorded, ${next} replayed`);
  }
  return findings;
}

/**
 * Runs permutation jobs on a pool of module workers, the costliest first.
 *
 * @param jobs The jobs.
 * @param workers Pool size.
 * @returns Results in job order.
 */
export async function runPermutationJobs(
  jobs: readonly PermutationJob[],
  workers: number,
): Promise<PermutationTestResult[]> {
  const cost = (j: PermutationJob) => j.permutations * j.pairs.length * j.documents;
  const queue = jobs.map((_, i) => i).sort((a, b) => cost(jobs[b]) - cost(jobs[a]) || a - b);
  const results: PermutationTestResult[] = new Array(jobs.length);
  const pool = Array.from(
    { length: Math.min(workers, jobs.length) },
    () => new Worker(new URL("./permutation_worker.ts", import.meta.url).href, { type: "module" }),
  );
  try {
    await Promise.all(pool.map(async (worker) => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        results[i] = await new Promise<PermutationTestResult>((resolve, reject) => {
          worker.onmessage = (e: MessageEvent<PermutationTestResult | { error: string }>) =>
            "error" in e.data ? reject(new Error(e.data.error)) : resolve(e.data);
          worker.onerror = (e) => {
            e.preventDefault();
            reject(new Error(`permutation worker: ${e.message}`));
          };
          worker.postMessage(jobs[i]);
        });
      }
    }));
  } finally {
    for (const worker of pool) worker.terminate();
  }
  return results;
}
