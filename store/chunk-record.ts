/** One retrievable passage, as stored in the index. Offsets are into the cleaned text of its document. */
export interface ChunkRecord {
  /** Stable across rebuilds while the passage's source, position and text are unchanged. */
  id: string;
  /** Path relative to the docs folder, with forward slashes. */
  source: string;
  title: string;
  /** Heading trail from the outermost heading to the one this chunk sits under. */
  headings: string[];
  start: number;
  end: number;
  text: string;
  /** Model tokens in the text that was embedded (title and heading trail included). */
  tokens: number;
  /** The page the passage is on (1-based), for documents with pages (PDF); absent for the others. */
  page?: number;
}

/** What the index remembers of each source document, for incremental rebuilds. */
export interface DocumentRecord {
  source: string;
  title: string;
  /** sha256 of the cleaned text: a document is re-embedded only when this changes. */
  contentHash: string;
  /** Indexes into the chunk list of this generation. */
  firstChunk: number;
  chunkCount: number;
}
