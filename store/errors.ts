/** Errors about the index on disk. Each names the folder and says what to run. */
export class IndexNotFoundError extends Error {
  override name = 'IndexNotFoundError';
  readonly code = 'INDEX_NOT_FOUND';
  constructor(readonly indexDir: string, options?: { cause?: unknown }) {
    super(`No index found in ${indexDir}: build one with \`npm run prebuild -- --docs <folder> --out ${indexDir}\``, options);
  }
}

export class IndexCorruptError extends Error {
  override name = 'IndexCorruptError';
  readonly code = 'INDEX_CORRUPT';
  constructor(readonly indexDir: string, detail: string, options?: { cause?: unknown }) {
    super(`Index in ${indexDir} cannot be read (${detail}): rebuild it with \`npm run prebuild\``, options);
  }
}

/** The index was built with another model than the one configured now. */
export class ManifestMismatchError extends Error {
  override name = 'ManifestMismatchError';
  readonly code = 'INDEX_MODEL_MISMATCH';
  constructor(readonly indexDir: string, readonly differences: string[]) {
    super(
      `Index in ${indexDir} was built for another model (${differences.join('; ')}): ` +
        `rebuild it with \`npm run prebuild -- --out ${indexDir}\` and the same EMBEDDING_MODEL, or configure the model it was built with`,
    );
  }
}

/** The index has vectors but their model cannot be loaded; searching it by keywords alone would hide that. */
export class IndexModelMissingError extends Error {
  override name = 'IndexModelMissingError';
  /** What the server maps to 503, as for any model that cannot be loaded. */
  readonly code = 'MODEL_NOT_FOUND';
  constructor(readonly indexDir: string, readonly model: string, detail: string) {
    super(`Index in ${indexDir} was built with ${model}, which cannot be loaded, and is not searched by keywords alone in its place: ${detail}`);
  }
}
