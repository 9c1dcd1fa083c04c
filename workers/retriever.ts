import { readIndex, type LoadedIndex } from '../store/index-files.js';
import { ManifestMismatchError } from '../store/errors.js';
import type { ModelFingerprint } from '../store/manifest.js';
import type { Embedder } from './embedder.js';
import { DEFAULT_FUSION, fuse, type RankedList } from './fusion.js';
import { LexicalIndex } from './lexical-index.js';
import type { FusionSettings, RetrievalMode, SearchFilter, SearchHit, SearchOutput } from './protocol.js';
import { vectorSearch } from './vector-search.js';

/** Differences between what built the index and the model loaded now; empty when they match. */
export function fingerprintDifferences(built: ModelFingerprint, loaded: ModelFingerprint): string[] {
  const differences: string[] = [];
  if (built.id !== loaded.id) differences.push(`model ${built.id} in the index, ${loaded.id} configured`);
  if (built.dimensions !== loaded.dimensions) differences.push(`${built.dimensions} dimensions in the index, ${loaded.dimensions} from the model`);
  if (built.fileSha256 !== loaded.fileSha256) differences.push(`model file sha256 ${built.fileSha256.slice(0, 12)}… in the index, ${loaded.fileSha256.slice(0, 12)}… on disk`);
  return differences;
}

/** Hybrid search over one loaded index generation; the embedder is optional (lexical fallback). */
export class Retriever {
  private constructor(
    readonly index: LoadedIndex,
    private readonly lexical: LexicalIndex,
    readonly embedder: Embedder | undefined,
    readonly degradedReason: string | undefined,
    private readonly fusion: FusionSettings,
  ) {}

  /**
   * Open the live generation of `indexDir`. With an embedder, refuses (ManifestMismatchError) an
   * index built by another model. Without one, or for an index with no vectors, search is lexical.
   */
  static async open(indexDir: string, embedder: Embedder | undefined, modelError: string | undefined, fusion: FusionSettings = DEFAULT_FUSION): Promise<Retriever> {
    const index = await readIndex(indexDir);
    const built = index.manifest.model;
    if (embedder && built) {
      const differences = fingerprintDifferences(built, embedder.fingerprint);
      if (differences.length) throw new ManifestMismatchError(indexDir, differences);
    }
    const lexical = LexicalIndex.load(index.lexicalJson, index.dir);
    index.lexicalJson = '';
    let reason = modelError;
    if (!built) reason = 'the index was built without vectors (lexical only)';
    return new Retriever(index, lexical, built ? embedder : undefined, reason, fusion);
  }

  get retrieval(): RetrievalMode {
    return this.embedder && this.index.vectors ? 'hybrid' : 'lexical';
  }

  async search(query: string, topK: number, filter?: SearchFilter, mode?: RetrievalMode): Promise<SearchOutput> {
    const { chunks, vectors } = this.index;
    const prefix = filter?.source;
    const accept = prefix ? (row: number) => chunks[row]!.source.startsWith(prefix) : undefined;
    const depth = Math.max(this.fusion.depth, topK);
    const canVector = Boolean(this.embedder && vectors);
    const useVector = canVector && mode !== 'lexical';
    const useLexical = mode !== 'vector' || !canVector;
    const lists: RankedList[] = [];
    const started = performance.now();
    let embedMs = 0;
    if (useVector) {
      const queryVector = await this.embedder!.embed([query]);
      embedMs = performance.now() - started;
      lists.push({ name: 'vector', weight: this.fusion.vectorWeight, hits: vectorSearch(vectors!, this.embedder!.dimensions, queryVector, depth, accept) });
    }
    if (useLexical) lists.push({ name: 'lexical', weight: this.fusion.lexicalWeight, hits: this.lexical.search(query, depth, accept) });
    const retrieval: RetrievalMode = useVector && useLexical ? 'hybrid' : useVector ? 'vector' : 'lexical';
    const fused = lists.length > 1 ? fuse(lists, this.fusion) : singleList(lists[0]!);
    const hits: SearchHit[] = fused.slice(0, topK).map((hit) => {
      const chunk = chunks[hit.row]!;
      return { id: chunk.id, source: chunk.source, title: chunk.title, headings: chunk.headings, start: chunk.start, end: chunk.end, text: chunk.text, score: hit.score, scores: { ...(hit.vector ? { vector: hit.vector } : {}), ...(hit.lexical ? { lexical: hit.lexical } : {}) } };
    });
    const searchMs = performance.now() - started - embedMs;
    return { hits, retrieval, ...(retrieval === 'lexical' && this.degradedReason ? { degradedReason: this.degradedReason } : {}), timings: { embedMs, searchMs } };
  }
}

function singleList(list: RankedList): { row: number; score: number; vector?: { rank: number; score: number }; lexical?: { rank: number; score: number } }[] {
  return list.hits.map((hit, index) => ({ row: hit.row, score: hit.score, [list.name]: { rank: index + 1, score: hit.score } }));
}
