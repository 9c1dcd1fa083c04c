import type { SearchFilter, SearchHit, SearchOutput } from '../workers/protocol.js';
import { checkCitations } from './citations.js';
import { extractiveAnswer } from './extractive.js';
import { standaloneQuestion, type Turn } from './follow-up.js';
import type { AnswerLlm, AnswerLog, ChatMessage, MemoryMode, SearchFn } from './ports.js';
import { buildMessages, headingOf, readNoAnswerMarker } from './prompt.js';
import { checkedReply, type StreamedReply } from './reply-stream.js';
import { judgeRelevance, resolveFloors, type RelevanceFloors, type RelevanceVerdict } from './relevance.js';

export interface AskInput {
  question: string;
  topK: number;
  filter?: SearchFilter;
  /** Earlier turns of a conversation (oldest first): the question is made standalone before retrieval. */
  history?: Turn[];
}

export interface Citation {
  n: number;
  id: string;
  source: string;
  title: string;
  heading: string;
  /** Character span of the passage in the source's cleaned text: `text.slice(start, end)`. */
  start: number;
  end: number;
  /** The page of a PDF the passage is on (1-based); absent for formats without pages. */
  page?: number;
  snippet: string;
  score: number;
}

export type AnswerMode = 'llm' | 'extractive' | 'abstain';

export interface AskResponse {
  answer: string;
  citations: Citation[];
  mode: AnswerMode;
  retrieval: 'hybrid' | 'lexical';
  memoryMode: MemoryMode;
  /** Plain-language caveats: no LLM, LLM failed, keyword search only, citations removed. */
  notices: string[];
  relevance: RelevanceVerdict['signals'];
  timings: { queueMs: number; embedMs: number; searchMs: number; generateMs: number; totalMs: number };
}

export interface AnswererDeps {
  search: SearchFn;
  llm: AnswerLlm | null;
  /** The floors to use where neither the index nor the operator says otherwise. */
  floors: RelevanceFloors;
  /** Floors the operator set: they outrank the index's own calibration (see resolveFloors). */
  explicitFloors?: Partial<RelevanceFloors>;
  log: AnswerLog;
  /** Aborted at shutdown, so in-flight LLM calls end in extractive answers before the deadline. */
  llmCancel?: AbortSignal;
  /** The memory governor's mode: cautious answers use fewer, shorter passages. */
  memoryMode?: () => MemoryMode;
  /**
   * How much a sentence's cosine with the question counts when an extractive answer picks its
   * sentences (`EXTRACTIVE_MEANING_WEIGHT`); 0 scores by shared words alone and asks the worker
   * for nothing more.
   */
  meaningWeight?: number;
  /** True while the worker has tasks running or queued: sentences are then scored by words alone. */
  workerBusy?: () => boolean;
}

/** In cautious mode: at most this many passages, each cut to this many characters in the prompt. */
const CAUTIOUS_TOP_K = 3;
const CAUTIOUS_PASSAGE_CHARS = 600;
const PASSAGE_CHARS = 1500;

export const ABSTAIN_ANSWER = 'The documents do not cover this question, so there is nothing to cite. Try rephrasing it, or ask about something the documents discuss.';
const SNIPPET_CHARS = 280;

function snippet(text: string): string {
  if (text.length <= SNIPPET_CHARS) return text;
  const space = text.lastIndexOf(' ', SNIPPET_CHARS);
  return `${text.slice(0, space > 0 ? space : SNIPPET_CHARS)}…`;
}

function toCitation(hit: SearchHit, n: number): Citation {
  return {
    n,
    id: hit.id,
    source: hit.source,
    title: hit.title,
    heading: headingOf(hit),
    start: hit.start,
    end: hit.end,
    ...(hit.page !== undefined ? { page: hit.page } : {}),
    snippet: snippet(hit.text),
    score: Number(hit.score.toFixed(6)),
  };
}

export const LLM_NO_ANSWER_NOTICE = 'The language model found no answer to this question in the passages.';
const LLM_PARTLY_ANSWERED_NOTICE = 'The language model found no answer in the passages to part of this question; the rest of the answer cites them.';
/** A renumbered citation as checkCitations leaves it: `[1]`, `[2, 3]`. */
const KEPT_CITATION = /\[[\d, ]*\]/g;

/** What the answer says with its citations taken out: does a letter or digit of prose remain? */
function hasProse(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text.replace(KEPT_CITATION, ''));
}

/** An LLM reply turned into the answer: its text, mode, the passages it cites, and its notices. */
export interface ReadReply {
  answer: string;
  mode: 'llm' | 'abstain';
  /** 0-based passage indexes, in the order of the answer's renumbered `[n]`. */
  cited: number[];
  notices: string[];
}

/**
 * Read an untrusted LLM reply. The no-answer marker makes it an abstention unless, with the marker
 * taken out, prose remains that cites a retrieved passage: a model that answers half a question
 * and marks the other half keeps the half it could cite, and text that cites nothing after the
 * marker is the outside knowledge the prompt forbids, so it is dropped with the rest.
 */
export function readLlmReply(text: string, passageCount: number): ReadReply {
  const marker = readNoAnswerMarker(text);
  const checked = checkCitations(marker.rest, passageCount);
  if (marker.said && (checked.cited.length === 0 || !hasProse(checked.text))) {
    return { answer: ABSTAIN_ANSWER, mode: 'abstain', cited: [], notices: [LLM_NO_ANSWER_NOTICE] };
  }
  const notices: string[] = [];
  if (marker.said) notices.push(LLM_PARTLY_ANSWERED_NOTICE);
  if (checked.removed.length) notices.push(`Removed citation${checked.removed.length > 1 ? 's' : ''} ${checked.removed.map((n) => `[${n}]`).join(' ')} that named no retrieved passage.`);
  if (checked.cited.length === 0) notices.push('The model cited no passage; treat this answer with care.');
  return { answer: checked.text, mode: 'llm', cited: checked.cited, notices };
}

/** What `askStream` yields: pieces of the answer's text as they are ready, then the whole answer. */
export type AnswerEvent = { type: 'token'; text: string } | { type: 'answer'; answer: AskResponse };

/** One question after retrieval: the passages, the verdict on them, and how to make the response. */
interface Retrieved {
  question: string;
  hits: SearchHit[];
  cautious: boolean;
  verdict: RelevanceVerdict;
  notices: string[];
  timings: AskResponse['timings'];
  similarity: SearchOutput['sentenceSimilarity'];
  meaningWeight: number;
  respond(answer: string, mode: AnswerMode, cited: number[]): AskResponse;
}

/**
 * What a client is told of an LLM failure: its kind only. The error's own message (the upstream
 * URL, its status text, a piece of its reply) goes to the log, never into an answer.
 */
export function publicFailure(error: unknown): string {
  const kind = (error as { kind?: unknown } | null)?.kind;
  const status = (error as { status?: unknown } | null)?.status;
  switch (kind) {
    case 'http':
      return typeof status === 'number' ? `it answered HTTP ${status}` : 'it answered with an error';
    case 'timeout':
      return 'it did not answer in time';
    case 'response':
      return 'its reply could not be read';
    case 'network':
      return 'it could not be reached';
    case 'busy':
      return 'it is busy with other questions';
    case 'cancelled':
      // A client that leaves gets no answer at all; the one cancellation a notice can report is the server's own shutdown.
      return 'the call was cancelled: the server is shutting down';
    default:
      return 'an unexpected error';
  }
}

/** Retrieval, then one of: abstain, ask the LLM, or quote the passages; citations checked either way. */
export class Answerer {
  constructor(private readonly deps: AnswererDeps) {}

  /** The whole answer at once. `cancel` ends the LLM call early (the client left). */
  async ask(input: AskInput, cancel?: AbortSignal): Promise<AskResponse> {
    const found = await this.retrieve(input, cancel);
    if (!found.verdict.relevant) return found.respond(ABSTAIN_ANSWER, 'abstain', []);
    return this.generate(found, cancel);
  }

  /**
   * The answer as it is written: `token` events whose texts join into the answer, then one `answer`
   * event with exactly what `ask` would return. The LLM's reply is checked on the way (see
   * `checkedReply`); an abstention or an extractive answer arrives as one token. If the LLM fails
   * before sending any text, the answer is extractive, as in `ask`; if it fails midway, the answer
   * is the part already sent, checked, with a notice that it is incomplete. `cancel` (the client
   * left) aborts the LLM call and ends the iteration with its error.
   */
  async *askStream(input: AskInput, cancel?: AbortSignal): AsyncGenerator<AnswerEvent> {
    const found = await this.retrieve(input, cancel);
    if (!found.verdict.relevant) return yield* finish(found.respond(ABSTAIN_ANSWER, 'abstain', []), false);
    const generateStarted = Date.now();
    const llm = this.deps.llm;
    if (llm?.stream) {
      const state: StreamedReply = { raw: '', sentAny: false };
      try {
        for await (const text of checkedReply(llm.stream(this.messages(found), this.llmSignal(cancel)), found.hits.length, state)) yield { type: 'token', text };
        found.timings.generateMs = Date.now() - generateStarted;
        const reply = readLlmReply(state.raw, found.hits.length);
        found.notices.push(...reply.notices);
        return yield* finish(found.respond(reply.answer, reply.mode, reply.cited), state.sentAny);
      } catch (error) {
        if (cancel?.aborted) throw error;
        if (state.sentAny) {
          const message = error instanceof Error ? error.message : String(error);
          this.deps.log.warn('LLM stream failed midway; answering with the part sent', { error: message });
          found.timings.generateMs = Date.now() - generateStarted;
          const reply = readLlmReply(state.raw, found.hits.length);
          found.notices.push(...reply.notices, `The language model stopped partway (${publicFailure(error)}); this answer is incomplete.`);
          return yield* finish(found.respond(reply.answer, reply.mode, reply.cited), true);
        }
        this.noteLlmFailure(found, error);
      }
      return yield* finish(this.extractive(found, generateStarted), false);
    }
    return yield* finish(await this.generate(found, cancel), false);
  }

  /** The whole answer from the LLM, or quoted from the passages when there is none or it fails. */
  private async generate(found: Retrieved, cancel?: AbortSignal): Promise<AskResponse> {
    const generateStarted = Date.now();
    if (this.deps.llm) {
      try {
        const completion = await this.deps.llm.complete(this.messages(found), this.llmSignal(cancel));
        found.timings.generateMs = Date.now() - generateStarted;
        const reply = readLlmReply(completion.text, found.hits.length);
        found.notices.push(...reply.notices);
        return found.respond(reply.answer, reply.mode, reply.cited);
      } catch (error) {
        if (cancel?.aborted) throw error;
        this.noteLlmFailure(found, error);
      }
    }
    return this.extractive(found, generateStarted);
  }

  /** Search for the question (made standalone if it follows earlier turns) and judge what came back. */
  private async retrieve(input: AskInput, cancel?: AbortSignal): Promise<Retrieved> {
    const started = Date.now();
    const memoryMode = this.deps.memoryMode?.() ?? 'normal';
    const cautious = memoryMode !== 'normal';
    const notices: string[] = [];
    const standalone = input.history?.length ? await standaloneQuestion(input.question, input.history, this.deps.llm, this.deps.log, this.llmSignal(cancel)) : { question: input.question, how: 'as-is' as const };
    const question = standalone.question;
    if (question !== input.question) notices.push(`Read with the earlier turns as: "${question}"`);
    // Without an LLM the answer will be extractive: have the worker score the passages' sentences
    // by meaning while it has the question's vector. An index built with sentence vectors scores
    // them by a read, whatever the load ('stored'); without them the worker embeds a batch of
    // sentences, so that is asked for only while it is idle (true): a busy service then answers
    // by words, at full speed. When memory is short only stored scores are asked for: embedding
    // sentences costs a batch's activations, reading stored ones a few kilobytes.
    const meaningWeight = this.deps.meaningWeight ?? 0;
    const wantsMeaning = !this.deps.llm && meaningWeight > 0;
    const sentences = wantsMeaning ? (cautious || (this.deps.workerBusy?.() ?? false) ? ('stored' as const) : true) : undefined;
    const topK = cautious ? Math.min(input.topK, CAUTIOUS_TOP_K) : input.topK;
    const found = await this.deps.search({ query: question, topK, ...(input.filter ? { filter: input.filter } : {}), ...(sentences ? { sentences } : {}) });
    const { hits, degradedReason } = found.value;
    const retrieval = found.value.retrieval === 'lexical' ? 'lexical' : 'hybrid';
    if (cautious) notices.push(`The server is short of memory (${memoryMode} mode): the answer uses at most ${CAUTIOUS_TOP_K} passages.`);
    if (retrieval === 'lexical') notices.push(`Semantic search is unavailable (${degradedReason ?? 'no embedding model'}); passages were found by keyword search alone.`);
    const verdict = judgeRelevance(question, hits, found.value.retrieval, resolveFloors(this.deps.floors, found.value.calibration, this.deps.explicitFloors), found.value.query);
    const timings = { queueMs: found.queueMs, embedMs: round(found.value.timings.embedMs), searchMs: round(found.value.timings.searchMs), generateMs: 0, totalMs: 0 };
    return {
      question,
      hits,
      cautious,
      verdict,
      notices,
      timings,
      similarity: found.value.sentenceSimilarity,
      meaningWeight,
      respond: (answer, mode, cited) => ({
        answer,
        citations: cited.map((index, i) => toCitation(hits[index]!, i + 1)),
        mode,
        retrieval,
        memoryMode,
        notices,
        relevance: verdict.signals,
        timings: { ...timings, totalMs: Date.now() - started },
      }),
    };
  }

  private messages(found: Retrieved): ChatMessage[] {
    return buildMessages(found.question, found.hits, found.cautious ? CAUTIOUS_PASSAGE_CHARS : PASSAGE_CHARS);
  }

  /** The LLM call ends at shutdown (`llmCancel`) or when the caller's `cancel` fires, whichever is first. */
  private llmSignal(cancel: AbortSignal | undefined): AbortSignal | undefined {
    const signals = [this.deps.llmCancel, cancel].filter((signal): signal is AbortSignal => signal !== undefined);
    return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  }

  private noteLlmFailure(found: Retrieved, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.deps.log.warn('LLM call failed; answering extractively', { error: message });
    found.notices.push(`The language model failed (${publicFailure(error)}); this answer quotes the passages that best match the question.`);
  }

  private extractive(found: Retrieved, generateStarted: number): AskResponse {
    if (!this.deps.llm) found.notices.push('No language model is configured (set LLM_BASE_URL); this answer quotes the passages that best match the question.');
    const { similarity, meaningWeight } = found;
    const checked = checkCitations(extractiveAnswer(found.question, found.hits, similarity ? { similarity, weight: meaningWeight } : undefined), found.hits.length);
    found.timings.generateMs = Date.now() - generateStarted;
    return found.respond(checked.text, 'extractive', checked.cited);
  }
}

/** The end of a streamed answer: its text as one token unless it was streamed already, then the answer. */
function* finish(answer: AskResponse, streamed: boolean): Generator<AnswerEvent> {
  if (!streamed && answer.answer) yield { type: 'token', text: answer.answer };
  yield { type: 'answer', answer };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
