/**
 * Per-token scores of the top documents and chunk joining: moved to the engine's influence pipeline
 * (`engine/influence/pipeline/top_token_scores.ts`); re-exported here for the harness's own callers.
 *
 * @module
 */
export {
  joinChunks,
  type ScoreChunk,
  scoreTopTokens,
  type TokenScoreRunner,
  type TopTokenPair,
  type TopTokenScores,
} from "../../engine/influence/pipeline/mod.ts";
