/** Errors of the index build; each says what failed and what to do. */
export class DocsNotFoundError extends Error {
  override name = 'DocsNotFoundError';
  readonly code = 'DOCS_NOT_FOUND';
  constructor(readonly docsDir: string, options?: { cause?: unknown }) {
    super(`Documents folder ${docsDir} does not exist or is not a folder`, options);
  }
}

export class NoDocumentsError extends Error {
  override name = 'NoDocumentsError';
  readonly code = 'NO_DOCUMENTS';
  constructor(readonly docsDir: string, readonly skipped: number) {
    super(`No readable .md, .markdown, .txt or .html documents in ${docsDir} (${skipped} skipped); the previous index, if any, is unchanged`);
  }
}

export class BuildLockedError extends Error {
  override name = 'BuildLockedError';
  readonly code = 'BUILD_LOCKED';
  constructor(readonly lockFile: string, readonly pid: number) {
    super(`Another build (pid ${pid}) is writing this index; wait for it, or delete ${lockFile} if that process is gone`);
  }
}
