import type { ChunkRecord } from '../store/chunk-record.js';
import { quantizeSentences, type SentenceRows, type SentenceVectors } from '../store/sentence-vectors.js';
import { quotableSentences } from '../text/sentences.js';
import type { Embedder } from '../workers/embedder.js';
import type { ProgressEvent } from './prebuild.js';

/** What embedding a build's sentences cost. */
export interface SentenceVectorsReport {
  /** Sentence rows written (a sentence in two chunks counts twice). */
  sentences: number;
  /** Distinct sentences embedded by this build; the rest were copied from the previous generation or repeated. */
  embedded: number;
  /** Chunks whose rows were copied from the previous generation unchanged. */
  reusedChunks: number;
  seconds: number;
  /** Size of the file they make (store/sentence-vectors.ts layout). */
  bytes: number;
}

export interface SentenceEmbedding {
  chunks: readonly ChunkRecord[];
  /** New row → the previous generation's row, for chunks of unchanged documents. */
  reusedRows: ReadonlyMap<number, number>;
  /** The previous generation's sentence vectors, when split with this build's splitter. */
  previous: SentenceVectors | null;
  embedder: Embedder;
  batchSize: number;
  onProgress?: ((event: ProgressEvent) => void) | undefined;
}

/**
 * Every chunk's quotable sentences (split as the worker splits them) as int8 rows, in chunk order.
 * Chunks of unchanged documents keep the previous generation's rows, copied as they are; each
 * distinct new sentence is embedded once, however many chunks (overlaps) hold it.
 */
export async function embedSentenceVectors({ chunks, reusedRows, previous, embedder, batchSize, onProgress }: SentenceEmbedding): Promise<{ perChunk: SentenceRows[]; report: SentenceVectorsReport }> {
  const started = performance.now();
  const { dimensions } = embedder;
  const perChunk: SentenceRows[] = new Array<SentenceRows>(chunks.length);
  const distinct = new Map<string, number>();
  const waiting: { row: number; at: number[] }[] = [];
  let reusedChunks = 0;
  chunks.forEach((chunk, row) => {
    const from = reusedRows.get(row);
    if (from !== undefined && previous) {
      perChunk[row] = previous.read(from);
      reusedChunks++;
      return;
    }
    const at = quotableSentences(chunk.text).map((sentence) => {
      const known = distinct.get(sentence);
      if (known !== undefined) return known;
      distinct.set(sentence, distinct.size);
      return distinct.size - 1;
    });
    waiting.push({ row, at });
  });
  const texts = [...distinct.keys()];
  const scales = new Float32Array(texts.length);
  const codes = new Int8Array(texts.length * dimensions);
  for (let i = 0; i < texts.length; i += batchSize) {
    const rows = quantizeSentences(await embedder.embed(texts.slice(i, i + batchSize)), dimensions);
    scales.set(rows.scales, i);
    codes.set(rows.codes, i * dimensions);
    onProgress?.({ phase: 'sentences', done: Math.min(i + batchSize, texts.length), total: texts.length });
  }
  for (const { row, at } of waiting) {
    const rows: SentenceRows = { scales: new Float32Array(at.length), codes: new Int8Array(at.length * dimensions) };
    at.forEach((k, i) => {
      rows.scales[i] = scales[k]!;
      rows.codes.set(codes.subarray(k * dimensions, (k + 1) * dimensions), i * dimensions);
    });
    perChunk[row] = rows;
  }
  const sentences = perChunk.reduce((n, rows) => n + rows.scales.length, 0);
  const bytes = 12 + 4 * (chunks.length + 1) + sentences * (4 + dimensions);
  return { perChunk, report: { sentences, embedded: texts.length, reusedChunks, seconds: (performance.now() - started) / 1000, bytes } };
}
