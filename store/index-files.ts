import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChunkRecord, DocumentRecord } from './chunk-record.js';
import { IndexCorruptError, IndexNotFoundError } from './errors.js';
import { FORMAT_VERSION, type Manifest } from './manifest.js';
import { resolveCurrentGeneration, writeFileDurable } from './atomic-swap.js';
import { FILES } from './index-layout.js';

/** Everything a reader needs from one generation, vectors packed row by row. */
export interface LoadedIndex {
  dir: string;
  manifest: Manifest;
  chunks: ChunkRecord[];
  /** `chunks.length * dimensions` floats, unit length rows; null for a lexical-only index. */
  vectors: Float32Array | null;
  lexicalJson: string;
}

/** Write the data files of a generation (not its vectra export); each file is fsynced. */
export async function writeGenerationFiles(
  dir: string,
  data: { manifest: Manifest; chunks: ChunkRecord[]; documents: DocumentRecord[]; vectors: Float32Array | null; lexicalJson: string },
): Promise<void> {
  await writeFileDurable(path.join(dir, FILES.chunks), JSON.stringify(data.chunks));
  await writeFileDurable(path.join(dir, FILES.documents), JSON.stringify(data.documents));
  await writeFileDurable(path.join(dir, FILES.lexical), data.lexicalJson);
  if (data.vectors) {
    await writeFileDurable(path.join(dir, FILES.vectors), new Uint8Array(data.vectors.buffer, data.vectors.byteOffset, data.vectors.byteLength));
  }
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

/** Read the live generation of an index folder, checking that its parts agree with each other. */
export async function readIndex(indexDir: string): Promise<LoadedIndex> {
  const dir = await locateIndex(indexDir);
  const manifest = await readManifest(dir);
  const chunks = await readJson<ChunkRecord[]>(dir, FILES.chunks);
  if (chunks.length !== manifest.corpus.chunks) {
    throw new IndexCorruptError(dir, `${chunks.length} chunks on disk, manifest says ${manifest.corpus.chunks}`);
  }
  const vectors = manifest.model ? await readVectors(dir, chunks.length, manifest.model.dimensions) : null;
  const lexicalJson = await readFile(path.join(dir, FILES.lexical), 'utf8');
  return { dir, manifest, chunks, vectors, lexicalJson };
}

export async function readDocuments(dir: string): Promise<DocumentRecord[]> {
  return readJson<DocumentRecord[]>(dir, FILES.documents);
}

export async function readVectors(dir: string, rows: number, dimensions: number): Promise<Float32Array> {
  const bytes = await readFile(path.join(dir, FILES.vectors)).catch((cause: unknown) => {
    throw new IndexCorruptError(dir, `${FILES.vectors} is missing`, { cause });
  });
  const expected = rows * dimensions * Float32Array.BYTES_PER_ELEMENT;
  if (bytes.byteLength !== expected) {
    throw new IndexCorruptError(dir, `${FILES.vectors} has ${bytes.byteLength} bytes, expected ${expected}`);
  }
  // Copy into an aligned buffer we own: Buffer slices may share a pooled, unaligned allocation.
  const vectors = new Float32Array(rows * dimensions);
  new Uint8Array(vectors.buffer).set(bytes);
  return vectors;
}

async function readJson<T>(dir: string, file: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path.join(dir, file), 'utf8');
  } catch (cause) {
    throw new IndexCorruptError(dir, `${file} is missing`, { cause });
  }
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new IndexCorruptError(dir, `${file} is not valid JSON`, { cause });
  }
}
