import path from 'node:path';
import { locateIndex, readManifest, verifyGeneration } from '../store/index-files.js';
import { CHUNKER_REVISION } from './chunker.js';
import { assertModelPresent, hashModelFile, modelFilePath } from '../workers/model-config.js';
import { existsSync } from 'node:fs';
import { corpusHash, DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS, documentHash, readCorpus, sentenceVectorsStale, type PrebuildOptions } from './prebuild.js';
import { fingerprintDifferences } from '../store/model-fingerprint.js';
import { packageVersion } from '../store/package-version.js';
import { calibrationStale } from './calibrate.js';

/** On disk, or allowed to be downloaded: a lexical-only index should then be upgraded. */
function modelAvailable(options: PrebuildOptions): boolean {
  if (options.embedding.allowRemote) return true;
  try {
    assertModelPresent(options.embedding);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the index in `outDir` would not be what `prebuild(options)` builds now, or null when it is
 * current. Cheap: reads the manifest and the documents, and hashes the model file; loads no model.
 * With `acceptLexical`, an index built without vectors is current while the model is not on disk.
 */
export async function staleReason(options: PrebuildOptions, acceptLexical = false): Promise<string | null> {
  let manifest;
  try {
    const dir = await locateIndex(path.resolve(options.outDir));
    manifest = await readManifest(dir);
    if (!manifest.checksums) return 'built before index files carried checksums';
    await verifyGeneration(dir, manifest);
  } catch (error) {
    return `no usable index (${(error as Error).message})`;
  }
  if (manifest.tool.version !== packageVersion()) return `built by rag512 ${manifest.tool.version}`;
  if (manifest.chunking.revision !== CHUNKER_REVISION) return 'built by an older chunker';
  const { overlapTokens = DEFAULT_OVERLAP_TOKENS, chunkTokens = DEFAULT_CHUNK_TOKENS } = options;
  if (manifest.chunking.overlapTokens !== overlapTokens) return `built with ${manifest.chunking.overlapTokens}-token overlap, ${overlapTokens} requested`;
  // The built size may be smaller than requested only because the model caps it.
  if (manifest.chunking.maxTokens > chunkTokens) return `built with ${manifest.chunking.maxTokens}-token chunks, ${chunkTokens} requested`;
  const available = modelAvailable(options);
  if (!manifest.model) {
    if (!options.lexicalOnly && (available || !acceptLexical)) return `built without vectors; ${options.embedding.model} is ${available ? 'now available' : 'configured'}`;
  } else {
    if (options.lexicalOnly) return 'built with vectors, lexical-only requested';
    if (fingerprintDifferences(manifest.model, { id: options.embedding.model }).length) return `built for ${manifest.model.id}, ${options.embedding.model} configured`;
    // Hashed only once the id agrees, and only when the file is there: a missing file is not a change.
    const onDisk = existsSync(modelFilePath(options.embedding)) ? await hashModelFile(options.embedding) : undefined;
    if (fingerprintDifferences(manifest.model, { fileSha256: onDisk }).length) return `the model file of ${options.embedding.model} changed`;
    const calibration = options.calibration === false ? null : calibrationStale(manifest.relevance, options.calibration);
    if (calibration) return calibration;
    const sentences = sentenceVectorsStale(manifest, options);
    if (sentences) return sentences;
  }
  const { docs } = await readCorpus(path.resolve(options.docsDir), options);
  const hash = corpusHash(docs.map((doc) => ({ source: doc.source, contentHash: documentHash(doc) })));
  return hash === manifest.corpus.hash ? null : 'the documents changed';
}
