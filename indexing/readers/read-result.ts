import type { CleanDocument } from '../clean-text.js';

/** Why a file could not be read; the build skips it and reports the reason. */
export interface Unreadable {
  reason: string;
}

/** What a reader makes of one file: its clean text and sections, or the reason it has none. */
export type ReadResult = CleanDocument | Unreadable;

/** Reads one file's bytes; `source` (relative path) names it in titles and reasons. */
export type DocumentReader = (bytes: Buffer, source: string) => Promise<ReadResult>;

export function isUnreadable(result: ReadResult): result is Unreadable {
  return 'reason' in result;
}

/** An error's message for a skip reason: one line, not too long. */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n', 1)[0]!.trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
