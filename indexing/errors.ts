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
    super(`No readable .md, .markdown, .txt, .html, .pdf or .docx documents in ${docsDir} (${skipped} skipped); the previous index, if any, is unchanged`);
  }
}

/** A strict build refuses to go live with any document left out. */
export class SkippedDocumentsError extends Error {
  override name = 'SkippedDocumentsError';
  readonly code = 'DOCUMENTS_SKIPPED';
  constructor(readonly docsDir: string, readonly skipped: { source: string; reason: string }[]) {
    const listed = skipped.slice(0, 5).map((doc) => `${doc.source} (${doc.reason})`).join(', ');
    const more = skipped.length > 5 ? ` and ${skipped.length - 5} more` : '';
    super(`Strict build: ${skipped.length} document(s) in ${docsDir} could not be read: ${listed}${more}; the previous index, if any, is unchanged`);
  }
}

export class BuildLockedError extends Error {
  override name = 'BuildLockedError';
  readonly code = 'BUILD_LOCKED';
  constructor(readonly lockFile: string, readonly pid: number) {
    super(`Another build (pid ${pid}) is writing this index; wait for it, or delete ${lockFile} if that process is gone`);
  }
}
