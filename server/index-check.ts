import path from 'node:path';
import { locateIndex, readManifest, verifyGeneration } from '../store/index-files.js';
import type { Manifest } from '../store/manifest.js';
import { markVerified } from '../store/verified-generation.js';
import { describeDifference, fingerprintDifferences } from '../store/model-fingerprint.js';
import { assertModelPresent, hashModelFileIdentified, modelFilePath, type EmbeddingConfig, type ModelFileHash } from '../workers/model-config.js';

/** What the boot check found: the index's retrieval mode, read from its manifest, and whether it can be served. */
export interface IndexCheck {
  /** False: questions cannot be answered from this index with this configuration (`reason` says why). */
  ok: boolean;
  /** What the manifest allows: `hybrid` with vectors and their model, `lexical` (keyword search) without; null without a readable index. */
  retrieval: 'hybrid' | 'lexical' | null;
  reason?: string;
  generation: string | null;
  chunks: number;
  /** The model file as hashed and found to be the index's: workers reuse its sha256 (`modelFileSha256`). */
  modelFile?: ModelFileHash;
}

const REBUILD = 'run `npm run build:index` (npm start and the deploy builds run it)';

/** The index's model against the configured one and the file on disk: the refusal, or when they agree the file as hashed. */
async function modelRefusal(manifest: Manifest, embedding: EmbeddingConfig): Promise<{ refusal: string } | { refusal: null; modelFile?: ModelFileHash }> {
  const built = manifest.model!;
  const byId = fingerprintDifferences(built, { id: embedding.model });
  if (byId.length) return { refusal: `the index was built for another model (${byId.map(describeDifference).join('; ')}): set EMBEDDING_MODEL=${built.id}, or ${REBUILD}` };
  try {
    assertModelPresent({ ...embedding, allowRemote: false });
  } catch (error) {
    return { refusal: `the index was built with ${built.id}, which is not on disk (${(error as Error).message.split('. ')[0]}): ship the models folder the build step filled, or ${REBUILD}` };
  }
  const { sha256, identified } = await hashModelFileIdentified(embedding);
  const bySha = fingerprintDifferences(built, { fileSha256: sha256 });
  if (bySha.length) return { refusal: `the index was built with another file of ${built.id} (${bySha.map(describeDifference).join('; ')}, ${modelFilePath(embedding)}): ${REBUILD}` };
  return { refusal: null, ...(identified ? { modelFile: identified } : {}) };
}

/**
 * Read the live generation's manifest and check it against the configured model, without loading
 * the model: the retrieval mode is known before the first question, and an index this server
 * cannot search as it was built is refused with the reason instead of served by keywords alone.
 * Cheap: one JSON file, and streamed hashes of the index files (checked against the manifest) and of the ONNX file.
 */
export async function checkIndex(indexDir: string, embedding: EmbeddingConfig): Promise<IndexCheck> {
  let generationDir: string;
  let manifest: Manifest;
  try {
    generationDir = await locateIndex(indexDir);
    manifest = await readManifest(generationDir);
    // A truncated or altered file is refused now, with its name, not on the first question.
    await verifyGeneration(generationDir, manifest);
    // The worker, started after this check, then need not hash the same files again.
    await markVerified(generationDir, manifest);
  } catch (error) {
    const detail = (error as { code?: string }).code === 'INDEX_NOT_FOUND' ? `no index in ${indexDir}` : (error as Error).message;
    return { ok: false, retrieval: null, reason: `${detail}: ${REBUILD}`, generation: null, chunks: 0 };
  }
  const found = { generation: path.basename(generationDir), chunks: manifest.corpus.chunks };
  if (!manifest.model) {
    return { ok: true, retrieval: 'lexical', reason: 'the index was built without an embedding model; `npm run build:index` adds vectors once the model is available', ...found };
  }
  const model = await modelRefusal(manifest, embedding);
  return model.refusal !== null ? { ok: false, retrieval: 'hybrid', reason: model.refusal, ...found } : { ok: true, retrieval: 'hybrid', ...found, ...(model.modelFile ? { modelFile: model.modelFile } : {}) };
}
