/// <reference lib="deno.worker" />
/**
 * Worker of {@link ./parallel_findings.ts runPermutationJobs}: runs one correlation permutation test
 * per message and posts its result (or `{ error }`).
 *
 * @module
 */
import { correlationPermutationTest } from "../analyses/correlation_permutation_test.ts";
import type { PermutationJob } from "./parallel_findings.ts";

self.onmessage = (e: MessageEvent<PermutationJob>) => {
  const { scores, documents, pairs, permutations, seed } = e.data;
  try {
    self.postMessage(correlationPermutationTest(scores, documents, pairs, permutations, seed));
  } catch (error) {
    self.postMessage({ error: (error as Error).message });
  }
};
