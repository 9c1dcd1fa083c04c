/**
 * What the dump scripts share: an index opened with the model that built it, and one question
 * through today's answer side (hybrid search, the default relevance rules, sentence cosines).
 */
import { DEFAULT_FLOORS, DEFAULT_TOP_K } from '../../dist/answer/defaults.js';
import { judgeRelevance, resolveFloors } from '../../dist/answer/relevance.js';
import { loadEmbedderOrReason } from '../../dist/workers/embedder.js';
import { Retriever } from '../../dist/workers/retriever.js';

/** The index in `indexDir` with its own model loaded from MODEL_DIR (default `models`). */
export async function openWithModel(indexDir) {
  const probe = await Retriever.open({ indexDir });
  const model = probe.index.manifest.model;
  probe.close();
  const { embedder, error } = await loadEmbedderOrReason({ model: model.id, modelDir: process.env.MODEL_DIR ?? 'models', allowRemote: false, dtype: model.dtype === 'fp32' ? 'fp32' : 'q8' });
  if (!embedder) throw new Error(error);
  return Retriever.open({ indexDir, embedder });
}

/** Whether the service would answer `question`, and if so the passages it quotes from and their sentences' cosines. */
export async function answerSide(retriever, question) {
  const output = await retriever.search({ query: question, topK: DEFAULT_TOP_K, mode: 'hybrid' });
  const passages = output.hits.slice(0, DEFAULT_TOP_K);
  const verdict = judgeRelevance(question, passages, output.retrieval, resolveFloors(DEFAULT_FLOORS, output.calibration, {}), output.query);
  if (!verdict.relevant) return { answered: false };
  return { answered: true, passages, similarity: await retriever.scoreSentences(question, passages) };
}
