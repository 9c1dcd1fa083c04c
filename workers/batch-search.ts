import type { BatchItem, SearchBatchOutput, SearchOutput, SearchRequest } from './protocol.js';
import type { Retriever } from './retriever.js';

/**
 * The searches of one micro-batch: every question that needs embedding (not remembered, and not
 * answered whole from the results cache) goes through the model in one call, then each search runs
 * with its vector. A failure stays with its search: if the shared model call fails, each question
 * is searched on its own, so only the one that fails alone fails.
 */
export async function searchBatch(retriever: Retriever, searches: SearchRequest[]): Promise<SearchBatchOutput> {
  const vectors = new Map<string, Float32Array>();
  const pending = new Set<string>();
  for (const request of searches) {
    if (!retriever.wantsVector(request) || retriever.cache.hasResult(request) || vectors.has(request.query)) continue;
    const known = retriever.cache.knownVector(request.query);
    if (known) vectors.set(request.query, known);
    else pending.add(request.query);
  }
  const started = performance.now();
  const questions = [...pending];
  if (questions.length) await embedTogether(retriever, questions, vectors);
  const embedMs = questions.length ? performance.now() - started : 0;
  const results: BatchItem<SearchOutput>[] = [];
  for (const request of searches) results.push(await searchOne(retriever, request, vectors.get(request.query)));
  return { results, embedMs, embedded: questions.length };
}

/** One model call for `questions`; their vectors go to `vectors` and the cache. On a failure none do (each search embeds alone). */
async function embedTogether(retriever: Retriever, questions: string[], vectors: Map<string, Float32Array>): Promise<void> {
  const embedder = retriever.embedder!;
  let packed: Float32Array;
  try {
    packed = await embedder.embedQuestions(questions);
  } catch {
    return;
  }
  const dimensions = embedder.dimensions;
  questions.forEach((question, i) => {
    const vector = packed.subarray(i * dimensions, (i + 1) * dimensions);
    vectors.set(question, vector);
    retriever.cache.rememberVector(question, vector);
  });
}

/**
 * The PostgreSQL store's batch: the questions embedded together (one model call), then the
 * searches sent to the database at once (it does the searching; here they mostly wait), each
 * failing alone.
 */
export async function searchEach(retriever: Searcher & { questionVectors(searches: SearchRequest[]): Promise<{ vectors: Map<string, Float32Array>; embedMs: number; embedded: number }> }, searches: SearchRequest[]): Promise<SearchBatchOutput> {
  const { vectors, embedMs, embedded } = await retriever.questionVectors(searches);
  const results = await Promise.all(searches.map((request) => searchOne(retriever, request, vectors.get(request.query))));
  return { results, embedMs, embedded };
}

interface Searcher {
  search(request: SearchRequest, vector?: Float32Array): Promise<SearchOutput>;
}

async function searchOne(retriever: Searcher, request: SearchRequest, vector: Float32Array | undefined): Promise<BatchItem<SearchOutput>> {
  try {
    return { ok: true, value: await retriever.search(request, vector) };
  } catch (error) {
    return { ok: false, ...failureOf(error) };
  }
}

/** The code and message a failed task reports (the worker's own rule, see worker.ts). */
export function failureOf(error: unknown): { code: string; message: string } {
  const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? (error as { code: string }).code : 'WORKER_ERROR';
  return { code, message: error instanceof Error ? error.message : String(error) };
}
