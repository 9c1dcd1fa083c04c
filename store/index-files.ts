import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChunkRecord, DocumentRecord } from './chunk-record.js';
import { IndexCorruptError, IndexNotFoundError } from './errors.js';
import { sha256File } from './file-hash.js';
import { FORMAT_VERSION, type Manifest } from './manifest.js';
import { resolveCurrentGeneration, writeFileDurable } from './atomic-swap.js';
import { FILES } from './index-layout.js';
import { arrangeRows, encodeQuantized, readQuantizedFile, readQuantizedVectors, type QuantizedVectors } from './quantized-vectors.js';
import { ChunkStore, encodeChunks } from './chunk-store.js';
import { isVerified } from './verified-generation.js';
import { encodeSentenceVectors, SentenceVectors, type SentenceRows } from './sentence-vectors.js';
import { buildIvf, encodeIvf, IVF_MIN_ROWS, readIvf, type IvfIndex } from './ivf-index.js';

/** Everything a reader needs from one generation, vectors packed row by row. */
export interface LoadedIndex {
  dir: string;
  manifest: Manifest;
  /** The chunk records, on disk, read by row (see ChunkStore). */
  chunks: ChunkStore;
  /** `chunks.length * dimensions` floats, unit length rows; null for a lexical-only index, or when read as int8. */
  vectors: Float32Array | null;
  /** The same rows as int8 (readIndex's `vectors: 'int8'`); null otherwise. */
  quantized: QuantizedVectors | null;
  /** The approximate index of a large generation (read with int8 vectors only); null otherwise. */
  ivf: IvfIndex | null;
  /** Where the keyword index is (checked against its checksum): the worker opens it itself, postings left on disk. */
  lexical: { file: string };
  /** Every chunk's quotable sentences as int8 rows, when the build wrote them and they were split as the reader splits; null otherwise. */
  sentences: SentenceVectors | null;
}

/** What `readIndex` opens beyond the chunks, vectors and keyword index. */
export interface ReadOptions {
  /**
   * The reader's sentence-splitter revision (text/sentences.ts): the generation's sentence vectors
   * are opened only when they were split with it. Unset: they are not opened.
   */
  sentenceSplitter?: number;
}

/** How to hold the vectors: exactly (the build reuses them) or as int8 (the worker searches them; a quarter of the memory). */
export type VectorPrecision = 'float32' | 'int8';

/** What a build writes into a generation. */
export interface GenerationData {
  manifest: Manifest;
  chunks: readonly ChunkRecord[];
  documents: DocumentRecord[];
  vectors: Float32Array | null;
  /** The keyword index's bytes (buildLexicalIndex). */
  lexical: Uint8Array;
  /** Build an IVF index for the vectors (default: from IVF_MIN_ROWS chunks on). */
  ivf?: boolean;
  /** Each chunk's quotable sentences as int8 rows (in chunk order), and the splitter revision that split them; written only with vectors. */
  sentenceVectors?: { perChunk: readonly SentenceRows[]; splitterRevision: number };
}

/** Write the data files of a generation (not its vectra export); each file is fsynced. */
export async function writeGenerationFiles(dir: string, data: GenerationData): Promise<void> {
  const checksums: Record<string, string> = {};
  const write = async (file: string, content: string | Uint8Array | readonly Uint8Array[]) => {
    const pieces = typeof content === 'string' ? [Buffer.from(content, 'utf8')] : content instanceof Uint8Array ? [content] : content;
    const hash = createHash('sha256');
    for (const piece of pieces) hash.update(piece);
    checksums[file] = hash.digest('hex');
    await writeFileDurable(path.join(dir, file), pieces);
  };
  const encoded = encodeChunks(data.chunks);
  await write(FILES.chunks, encoded.records);
  await write(FILES.chunkOffsets, encoded.offsets);
  await write(FILES.documents, JSON.stringify(data.documents));
  await write(FILES.lexical, data.lexical);
  const dimensions = data.manifest.model?.dimensions ?? 0;
  if (data.vectors) {
    await write(FILES.vectors, new Uint8Array(data.vectors.buffer, data.vectors.byteOffset, data.vectors.byteLength));
    await write(FILES.quantized, encodeQuantized(data.vectors, dimensions));
    const rows = data.chunks.length;
    if (data.ivf ?? rows >= IVF_MIN_ROWS) await write(FILES.ivf, encodeIvf(buildIvf(data.vectors, dimensions)));
  }
  delete data.manifest.sentenceVectors;
  if (data.vectors && data.sentenceVectors) {
    const { perChunk, splitterRevision } = data.sentenceVectors;
    await write(FILES.sentenceVectors, encodeSentenceVectors(perChunk, dimensions));
    data.manifest.sentenceVectors = { file: FILES.sentenceVectors, sentences: perChunk.reduce((n, rows) => n + rows.scales.length, 0), splitterRevision };
  }
  data.manifest.files = { ...data.manifest.files, chunks: FILES.chunks, chunkOffsets: FILES.chunkOffsets, lexical: FILES.lexical, ivf: checksums[FILES.ivf] ? FILES.ivf : null };
  // Recorded on the caller's manifest too, so a later rewrite of it (calibration, quality figures) keeps them.
  data.manifest.checksums = checksums;
  // The manifest goes last: a generation folder with a manifest is a complete one.
  await writeManifest(dir, data.manifest);
}

/** Write (or rewrite, as the quality gate does with its figures) a generation's manifest, fsynced. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeFileDurable(path.join(dir, FILES.manifest), JSON.stringify(manifest, null, 2));
}

/** The live generation's folder; throws IndexNotFoundError when there is none. */
export async function locateIndex(indexDir: string): Promise<string> {
  const dir = await resolveCurrentGeneration(indexDir).catch((cause: unknown) => {
    throw new IndexCorruptError(indexDir, 'its CURRENT pointer cannot be read', { cause });
  });
  if (!dir) throw new IndexNotFoundError(indexDir);
  return dir;
}

export async function readManifest(dir: string): Promise<Manifest> {
  const manifest = await readJson<Manifest>(dir, FILES.manifest);
  if (manifest.formatVersion !== FORMAT_VERSION) {
    throw new IndexCorruptError(dir, `format version ${String(manifest.formatVersion)}, expected ${FORMAT_VERSION}`);
  }
  return manifest;
}

/**
 * Open the live generation of an index folder, checking each file against the manifest's checksum
 * (streamed: never a whole file in memory, never a copy of the index held twice) and that its parts
 * agree with each other. Chunk records and keyword postings stay on disk, read by offset.
 */
export async function readIndex(indexDir: string, precision: VectorPrecision = 'float32', options: ReadOptions = {}): Promise<LoadedIndex> {
  const dir = await locateIndex(indexDir);
  const manifest = await readManifest(dir);
  const rows = manifest.corpus.chunks;
  // Files the boot check of this process already hashed, unchanged since, are not hashed again (sizes still are checked).
  const checked: Manifest = (await isVerified(dir, manifest)) ? { ...manifest, checksums: {} } : manifest;
  const checksums = checked.checksums ?? {};
  const documents = await readJson<DocumentRecord[]>(dir, FILES.documents, checked);
  const chunks = await ChunkStore.open(dir, rows, documents, { records: checksums[FILES.chunks], offsets: checksums[FILES.chunkOffsets] });
  try {
    const model = manifest.model;
    // From the build's int8 file when it wrote one (every build since it exists); else quantised from the float32 rows as they stream.
    const int8File = Boolean(manifest.checksums?.[FILES.quantized]);
    // The float32 rows are then only read by offset (the exact rescoring): checked here, streamed, unless the boot check did.
    if (model && precision === 'int8' && int8File) await verifyFile(dir, FILES.vectors, checksums[FILES.vectors]);
    const quantized = !model || precision !== 'int8' ? null : int8File ? await readQuantizedFile(dir, rows, model.dimensions, checksums[FILES.quantized]) : await readQuantizedVectors(dir, rows, model.dimensions, checksums[FILES.vectors]);
    const vectors = model && !quantized ? await readVectors(dir, rows, model.dimensions, checked) : null;
    const ivf = quantized && manifest.files.ivf ? await readIvf(dir, rows, quantized.dimensions, checksums[FILES.ivf]) : null;
    // Each IVF list becomes one block of the int8 rows, which a search scans forwards.
    if (quantized && ivf) arrangeRows(quantized, ivf.listRows);
    const lexical = { file: path.join(dir, FILES.lexical) };
    await verifyFile(dir, FILES.lexical, checksums[FILES.lexical]);
    const stored = manifest.sentenceVectors;
    const useSentences = Boolean(model && stored && options.sentenceSplitter !== undefined && stored.splitterRevision === options.sentenceSplitter);
    if (useSentences) await verifyFile(dir, FILES.sentenceVectors, checksums[FILES.sentenceVectors]);
    const sentences = useSentences ? SentenceVectors.open(dir, rows, model!.dimensions) : null;
    return { dir, manifest, chunks, vectors, quantized, ivf, lexical, sentences };
  } catch (error) {
    chunks.close();
    throw error;
  }
}

/**
 * Every data file of a generation against its checksum, streamed (never a whole file in memory),
 * parsing nothing; throws IndexCorruptError naming the first that differs.
 */
export async function verifyGeneration(dir: string, manifest: Manifest): Promise<void> {
  for (const [file, expected] of Object.entries(manifest.checksums ?? {})) await verifyFile(dir, file, expected);
}

/** One file of a generation against its checksum, streamed; nothing to check without one (built before checksums). */
async function verifyFile(dir: string, file: string, expected: string | undefined): Promise<void> {
  if (!expected) return;
  const { digest, bytes } = await sha256File(path.join(dir, file)).catch((cause: unknown) => {
    throw new IndexCorruptError(dir, `${file} is missing`, { cause });
  });
  if (digest !== expected) {
    throw new IndexCorruptError(dir, `${file} does not match the checksum in its manifest (changed or truncated after the build, ${bytes} bytes): rebuild the index`);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A file's bytes, refused when they differ from the checksum the manifest recorded for it. */
async function readVerified(dir: string, file: string, manifest?: Manifest): Promise<Buffer> {
  const bytes = await readFile(path.join(dir, file)).catch((cause: unknown) => {
    throw new IndexCorruptError(dir, `${file} is missing`, { cause });
  });
  const expected = manifest?.checksums?.[file];
  if (expected && sha256(bytes) !== expected) {
    throw new IndexCorruptError(dir, `${file} does not match the checksum in its manifest (changed or truncated after the build, ${bytes.byteLength} bytes): rebuild the index`);
  }
  return bytes;
}

export async function readDocuments(dir: string): Promise<DocumentRecord[]> {
  return readJson<DocumentRecord[]>(dir, FILES.documents, await readManifest(dir));
}

export async function readVectors(dir: string, rows: number, dimensions: number, manifest?: Manifest): Promise<Float32Array> {
  const bytes = await readVerified(dir, FILES.vectors, manifest);
  const expected = rows * dimensions * Float32Array.BYTES_PER_ELEMENT;
  if (bytes.byteLength !== expected) {
    throw new IndexCorruptError(dir, `${FILES.vectors} has ${bytes.byteLength} bytes, expected ${expected}`);
  }
  // Copy into an aligned buffer we own: Buffer slices may share a pooled, unaligned allocation.
  const vectors = new Float32Array(rows * dimensions);
  new Uint8Array(vectors.buffer).set(bytes);
  return vectors;
}

async function readJson<T>(dir: string, file: string, manifest?: Manifest): Promise<T> {
  const text = (await readVerified(dir, file, manifest)).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new IndexCorruptError(dir, `${file} is not valid JSON`, { cause });
  }
}
