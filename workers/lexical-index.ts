import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { ChunkRecord } from '../store/chunk-record.js';
import { IndexCorruptError } from '../store/errors.js';
import { sha256File } from '../store/file-hash.js';
import { keywordStems } from '../text/terms.js';
import { bestScoredRows, K1, ScoringScratch, type TermPostings } from './lexical-scoring.js';

/**
 * Keyword search (BM25) over the chunks, in typed arrays. It replaced MiniSearch: for the 18F
 * handbook MiniSearch's tree of objects cost 38 MB of the worker's heap once loaded and allocated
 * heavily per fuzzy query, where these arrays take about 3 MB. Words are the answer side's own
 * (terms.ts): stopwords dropped (a question of stopwords alone finds nothing here), plurals and endings folded, so "how do I reserve a desk" searches
 * for "reserv" and "desk" only.
 */
const FORMAT = 'rag512-bm25/2';
/** Where a word appears changes its weight: a heading names what a passage is about. */
const FIELD_WEIGHTS = { title: 1.2, headings: 1.5, text: 1 } as const;
/** Unknown words this long are matched to known words one edit away (typos), at this share of the weight. */
const FUZZY_MIN_LENGTH = 6;
const FUZZY_WEIGHT = 0.5;
/**
 * Per-question work is bounded whatever the input: a question's first MAX_QUERY_TERMS distinct
 * terms are searched, and at most MAX_FUZZY_TERMS unknown ones are looked up for typos (each a scan
 * of the known terms within one letter of its length). A 2,000-character question of invented
 * words cost 25-680 ms of typo matching before; a person's question has a handful of terms.
 */
export const MAX_QUERY_TERMS = 48;
export const MAX_FUZZY_TERMS = 4;
const WORD = 4;

/** How a query stands against the index as a whole, whatever passages it finds (abstention signals). */
export interface QueryProfile {
  /** The query's distinct keyword terms (stems). */
  terms: string[];
  /** Terms no chunk holds, not even one edit away: words the documents never use. */
  unknownTerms: string[];
  /**
   * The BM25 score of a chunk holding every term at saturation, Σ idf × (k1 + 1): the ceiling the
   * best hit's score is measured against. A term no chunk holds counts at the idf of such a term, so
   * words the documents never use pull the ratio down.
   */
  maxScore: number;
}

/**
 * The file's layout (lexical.bin), all numbers little-endian: a uint32 length and a JSON header
 * (format and counts), padded to 4 bytes; the weighted length of each chunk (float32, row order);
 * the first posting of each term (uint32, one more than there are terms); the terms as UTF-8
 * joined by newlines, padded to 4 bytes; then every posting's row (uint32) and every posting's
 * weighted frequency (float32), term after term, rows ascending within a term. The worker holds the
 * lengths, the term table and its offsets; the postings stay on disk and a query reads its terms'.
 */
interface Header {
  format: string;
  rows: number;
  terms: number;
  postings: number;
  vocabularyBytes: number;
}

/** Where a section of the file starts, for a header. */
function layout(header: Header, headerBytes: number): { lengths: number; offsets: number; vocabulary: number; rows: number; weights: number; end: number } {
  const lengths = padded(WORD + headerBytes);
  const offsets = lengths + header.rows * WORD;
  const vocabulary = offsets + (header.terms + 1) * WORD;
  const rows = padded(vocabulary + header.vocabularyBytes);
  const weights = rows + header.postings * WORD;
  return { lengths, offsets, vocabulary, rows, weights, end: weights + header.postings * WORD };
}

function padded(at: number): number {
  return Math.ceil(at / WORD) * WORD;
}

/** The keyword index of `chunks` (lexical.bin's bytes); rows are chunk positions. */
export function buildLexicalIndex(chunks: readonly ChunkRecord[]): Uint8Array {
  const postings = new Map<string, number[]>();
  const lengths = new Float32Array(chunks.length);
  chunks.forEach((chunk, row) => {
    const weights = new Map<string, number>();
    let length = 0;
    for (const [field, weight] of [[chunk.title, FIELD_WEIGHTS.title], [chunk.headings.join(' '), FIELD_WEIGHTS.headings], [chunk.text, FIELD_WEIGHTS.text]] as const) {
      for (const term of keywordStems(field)) {
        weights.set(term, (weights.get(term) ?? 0) + weight);
        length += weight;
      }
    }
    lengths[row] = Math.round(length * 10) / 10;
    for (const [term, weight] of weights) {
      let list = postings.get(term);
      if (!list) postings.set(term, (list = []));
      list.push(row, Math.round(weight * 10) / 10);
    }
  });
  // The order the JSON format (rag512-bm25/1) kept its terms in, so typo matches are tried in the same order and scores add up the same.
  const terms = Object.keys(Object.fromEntries([...postings.keys()].map((term) => [term, 0])));
  const vocabulary = Buffer.from(terms.join('\n'), 'utf8');
  const total = terms.reduce((n, term) => n + postings.get(term)!.length / 2, 0);
  const header: Header = { format: FORMAT, rows: chunks.length, terms: terms.length, postings: total, vocabularyBytes: vocabulary.length };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const at = layout(header, headerBytes.length);
  const out = Buffer.alloc(at.end);
  out.writeUInt32LE(headerBytes.length, 0);
  headerBytes.copy(out, WORD);
  Buffer.from(lengths.buffer).copy(out, at.lengths);
  const offsets = new Uint32Array(terms.length + 1);
  const rows = new Uint32Array(total);
  const weights = new Float32Array(total);
  let next = 0;
  terms.forEach((term, id) => {
    offsets[id] = next;
    const list = postings.get(term)!;
    for (let i = 0; i < list.length; i += 2, next++) {
      rows[next] = list[i]!;
      weights[next] = list[i + 1]!;
    }
  });
  offsets[terms.length] = next;
  Buffer.from(offsets.buffer).copy(out, at.offsets);
  vocabulary.copy(out, at.vocabulary);
  Buffer.from(rows.buffer).copy(out, at.rows);
  Buffer.from(weights.buffer).copy(out, at.weights);
  return out;
}

/** Bytes of the index by position: from a buffer (tests, a fresh build) or a file kept open. */
interface ByteSource {
  /** `length` bytes at `position` into a fresh, aligned array; throws when the source is shorter. */
  read(position: number, length: number): Uint8Array;
  /** `target.length` bytes at `position` into `target` (no allocation); throws when the source is shorter. */
  readInto(position: number, target: Uint8Array): void;
  close(): void;
}

function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    read(position, length) {
      if (position + length > bytes.length) throw new RangeError('past the end');
      // A copy in an array of its own (Buffer's slice would share, and be unaligned for the typed views).
      return new Uint8Array(bytes.subarray(position, position + length));
    },
    readInto(position, target) {
      if (position + target.length > bytes.length) throw new RangeError('past the end');
      target.set(bytes.subarray(position, position + target.length));
    },
    close() {},
  };
}

function fileSource(file: string): ByteSource {
  let fd: number | undefined = openSync(file, 'r');
  return {
    read(position, length) {
      fd ??= openSync(file, 'r');
      const out = new Uint8Array(length);
      if (length && readSync(fd, out, 0, length, position) !== length) throw new RangeError('past the end');
      return out;
    },
    readInto(position, target) {
      fd ??= openSync(file, 'r');
      if (target.length && readSync(fd, target, 0, target.length, position) !== target.length) throw new RangeError('past the end');
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

export class LexicalIndex {
  private constructor(
    /** term → its number; its postings are `rows`/`weights` from `offsets[n]` to `offsets[n + 1]`. */
    private readonly termIds: Map<string, number>,
    private readonly offsets: Uint32Array,
    private readonly lengths: Float32Array,
    private readonly averageLength: number,
    private readonly source: ByteSource,
    private readonly postingsAt: { rows: number; weights: number },
  ) {}

  /** Scores of one search in progress (see lexical-scoring.ts), made on the first search. */
  private scratch: ScoringScratch | undefined;

  /** Known terms grouped by length, built on the first typo lookup: a lookup reads three groups, not the whole vocabulary. */
  private byLength: Map<number, [string, number][]> | undefined;

  /** An index from its bytes (as buildLexicalIndex returns them). */
  static load(bytes: Uint8Array, where = 'lexical.bin'): LexicalIndex {
    return LexicalIndex.from(bufferSource(bytes), where);
  }

  /**
   * An index from its file, postings left on disk: the file is streamed once through its checksum
   * (when the manifest recorded one), then only the lengths, offsets and terms are read into memory.
   */
  static async open(file: string, sha256?: string): Promise<LexicalIndex> {
    if (sha256) await verifyFile(file, sha256);
    let source: ByteSource;
    try {
      source = fileSource(file);
    } catch (cause) {
      throw new IndexCorruptError(path.dirname(file), `${path.basename(file)} is missing`, { cause });
    }
    try {
      return LexicalIndex.from(source, file);
    } catch (error) {
      source.close();
      throw error;
    }
  }

  private static from(source: ByteSource, where: string): LexicalIndex {
    let header: Header;
    let headerBytes: number;
    try {
      headerBytes = Buffer.from(source.read(0, WORD)).readUInt32LE(0);
      header = JSON.parse(Buffer.from(source.read(WORD, headerBytes)).toString('utf8')) as Header;
    } catch (cause) {
      throw new IndexCorruptError(where, `the keyword index has no readable header (expected ${FORMAT}): rebuild it with npm run prebuild`, { cause });
    }
    if (header.format !== FORMAT) throw new IndexCorruptError(where, `the keyword index has format ${JSON.stringify(header.format ?? 'unknown')}, expected ${FORMAT}: rebuild it with npm run prebuild`);
    const at = layout(header, headerBytes);
    let lengths: Float32Array;
    let offsets: Uint32Array;
    let terms: string[];
    try {
      source.read(at.end - 1, 1);
      lengths = new Float32Array(source.read(at.lengths, header.rows * WORD).buffer);
      offsets = new Uint32Array(source.read(at.offsets, (header.terms + 1) * WORD).buffer);
      terms = header.terms ? Buffer.from(source.read(at.vocabulary, header.vocabularyBytes)).toString('utf8').split('\n') : [];
    } catch (cause) {
      throw new IndexCorruptError(where, 'the keyword index is truncated: rebuild it with npm run prebuild', { cause });
    }
    const termIds = new Map<string, number>();
    terms.forEach((term, id) => termIds.set(term, id));
    let sum = 0;
    for (let row = 0; row < lengths.length; row++) sum += lengths[row]!;
    const averageLength = sum / Math.max(1, lengths.length);
    return new LexicalIndex(termIds, offsets, lengths, averageLength || 1, source, { rows: at.rows, weights: at.weights });
  }

  /** Rows in the index. */
  get rows(): number {
    return this.lengths.length;
  }

  /** Each chunk's weighted length, by row (BM25's document length). */
  get chunkLengths(): Float32Array {
    return this.lengths;
  }

  /** Terms in the index. */
  get termCount(): number {
    return this.termIds.size;
  }

  /** Every term with its postings (rows and weighted term frequencies), in the index's term order; one term's postings are read at a time. */
  *postings(): Generator<{ term: string; rows: Uint32Array; weights: Float32Array }> {
    for (const [term, id] of this.termIds) {
      const from = this.offsets[id]!;
      const to = this.offsets[id + 1]!;
      const rows = new Uint32Array(this.source.read(this.postingsAt.rows + from * WORD, (to - from) * WORD).buffer);
      const weights = new Float32Array(this.source.read(this.postingsAt.weights + from * WORD, (to - from) * WORD).buffer);
      yield { term, rows, weights };
    }
  }

  /** Release the file's descriptor (a later search opens it again). */
  close(): void {
    this.source.close();
  }

  /**
   * Row numbers and BM25 scores, best first (`accept` filters rows, e.g. by source prefix), with
   * the query's profile. Both come from one pass over the query's terms: an unknown long word costs
   * a scan of the vocabulary, which must not happen twice.
   */
  search(query: string, limit: number, accept?: (row: number) => boolean): { hits: { row: number; score: number }[]; profile: QueryProfile } {
    const terms = [...new Set(keywordStems(query))].slice(0, MAX_QUERY_TERMS);
    let fuzzyLookups = 0;
    const weights = new Map<number, number>();
    const unknownTerms: string[] = [];
    let idfSum = 0;
    for (const term of terms) {
      const id = this.termIds.get(term);
      if (id !== undefined) {
        weights.set(id, 1);
        idfSum += this.idf(this.offsets[id + 1]! - this.offsets[id]!);
        continue;
      }
      // A word no chunk holds counts at full idf in the ceiling, typo or not.
      idfSum += this.idf(0);
      const near = term.length >= FUZZY_MIN_LENGTH && fuzzyLookups++ < MAX_FUZZY_TERMS ? this.oneEditAway(term) : [];
      if (near.length === 0) unknownTerms.push(term);
      for (const nearId of near) if (!weights.has(nearId)) weights.set(nearId, FUZZY_WEIGHT);
    }
    // The rows the terms touch only (see lexical-scoring.ts): at 250,000 chunks a pass over every chunk was much of a search.
    this.scratch ??= new ScoringScratch(this.lengths, this.averageLength);
    const postings = limit > 0 ? this.termPostings([...weights], this.scratch) : [];
    const hits = bestScoredRows(postings, limit, accept, this.scratch);
    return { hits, profile: { terms, unknownTerms, maxScore: idfSum * (K1 + 1) } };
  }

  /**
   * The terms' postings, read into the scratch's posting space one after the other: at 250,000
   * chunks a question's terms hold some 60,000 postings (up to 200,000), and a fresh pair of arrays
   * per term per search was much of the worker's garbage.
   */
  private termPostings(terms: readonly [id: number, weight: number][], scratch: ScoringScratch): TermPostings[] {
    let total = 0;
    for (const [id] of terms) total += this.offsets[id + 1]! - this.offsets[id]!;
    const space = scratch.postingSpace(total);
    let at = 0;
    return terms.map(([id, weight]) => {
      const from = this.offsets[id]!;
      const count = this.offsets[id + 1]! - from;
      const rows = space.rows.subarray(at, at + count);
      const tfs = space.tfs.subarray(at, at + count);
      at += count;
      this.source.readInto(this.postingsAt.rows + from * WORD, new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
      this.source.readInto(this.postingsAt.weights + from * WORD, new Uint8Array(tfs.buffer, tfs.byteOffset, tfs.byteLength));
      return { rows, tfs, weight, idf: this.idf(count) };
    });
  }

  /** BM25's idf of a term that `documents` chunks hold. */
  private idf(documents: number): number {
    const all = this.lengths.length;
    return Math.log(1 + (all - documents + 0.5) / (documents + 0.5));
  }

  /** Known terms at edit distance 1 (one letter added, dropped, changed or two swapped). */
  private oneEditAway(term: string): number[] {
    if (!this.byLength) {
      this.byLength = new Map();
      for (const entry of this.termIds) {
        const group = this.byLength.get(entry[0].length);
        if (group) group.push(entry);
        else this.byLength.set(entry[0].length, [entry]);
      }
    }
    const near: number[] = [];
    for (let length = term.length - 1; length <= term.length + 1; length++) {
      for (const [candidate, id] of this.byLength.get(length) ?? []) if (withinOneEdit(term, candidate)) near.push(id);
    }
    return near;
  }
}

/**
 * True when `a` becomes `b` by one insertion, deletion, substitution or swap of neighbours. Compared
 * in place, character codes by position: a typo lookup asks this of every known word within one
 * letter of the length (tens of thousands at 250,000 chunks), and a substring per comparison was
 * garbage for the collector.
 */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (a.length === b.length) {
    if (sameFrom(a, i + 1, b, i + 1)) return true;
    return i + 1 < a.length && a.charCodeAt(i) === b.charCodeAt(i + 1) && a.charCodeAt(i + 1) === b.charCodeAt(i) && sameFrom(a, i + 2, b, i + 2);
  }
  return a.length < b.length ? sameFrom(a, i, b, i + 1) : sameFrom(b, i, a, i + 1);
}

/** Whether `x` from `xAt` on and `y` from `yAt` on are the same characters. */
function sameFrom(x: string, xAt: number, y: string, yAt: number): boolean {
  if (x.length - xAt !== y.length - yAt) return false;
  for (; xAt < x.length; xAt++, yAt++) if (x.charCodeAt(xAt) !== y.charCodeAt(yAt)) return false;
  return true;
}

/** Read a file through sha256 (one reused buffer) and refuse it when it differs from the manifest's digest. */
async function verifyFile(file: string, expected: string): Promise<void> {
  const { digest, bytes } = await sha256File(file).catch((cause: unknown) => {
    throw new IndexCorruptError(path.dirname(file), `${path.basename(file)} is missing`, { cause });
  });
  if (digest !== expected) throw new IndexCorruptError(path.dirname(file), `${path.basename(file)} does not match the checksum in its manifest (changed or truncated after the build, ${bytes} bytes): rebuild the index`);
}
