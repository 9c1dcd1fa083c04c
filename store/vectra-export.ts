import { createRequire } from 'node:module';
import path from 'node:path';
import type { ChunkRecord } from './chunk-record.js';
import { fsyncPath } from './atomic-swap.js';
import { FILES, VECTRA_INDEX_FILE } from './index-layout.js';

// Only vectra's LocalIndex module: the package entry point pulls in its whole toolchain (>100 MB RSS).
const require = createRequire(import.meta.url);

interface VectraLocalIndex {
  createIndex(config: { version: number }): Promise<void>;
  batchInsertItems(items: { id: string; vector: number[]; metadata: Record<string, string | number> }[]): Promise<unknown>;
}

/** vectra is a development dependency: a production install (npm ci --omit=dev, a deploy) has none. */
function loadLocalIndex(): { LocalIndex: new (folder: string) => VectraLocalIndex } {
  try {
    return require('vectra/lib/LocalIndex.js') as { LocalIndex: new (folder: string) => VectraLocalIndex };
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw cause;
    throw new Error('The vectra export needs the vectra package, a development dependency absent from production installs: pass --no-vectra, or install dependencies with npm ci', { cause });
  }
}

/**
 * Write the chunks and their vectors as a vectra `LocalIndex` inside a generation folder, so the
 * index opens with vectra's own tools. The service itself reads the compact `vectors.f32` instead.
 */
export async function writeVectraIndex(generationDir: string, chunks: ChunkRecord[], vectors: Float32Array, dimensions: number): Promise<void> {
  const { LocalIndex } = loadLocalIndex();
  const folder = path.join(generationDir, FILES.vectra);
  const index = new LocalIndex(folder);
  // No indexed metadata fields: vectra would then write one side file per item.
  await index.createIndex({ version: 1 });
  await index.batchInsertItems(
    chunks.map((chunk, row) => ({
      id: chunk.id,
      vector: Array.from(vectors.subarray(row * dimensions, (row + 1) * dimensions)),
      metadata: { source: chunk.source, title: chunk.title, heading: chunk.headings.join(' > '), start: chunk.start, end: chunk.end, ...(chunk.page !== undefined ? { page: chunk.page } : {}), text: chunk.text },
    })),
  );
  // vectra writes in place without fsync; make its files durable before the generation is committed.
  await fsyncPath(path.join(folder, VECTRA_INDEX_FILE));
  await fsyncPath(folder);
}
