/**
 * A follow-up ("and for contractors?") made standalone before retrieval: search knows nothing of
 * the conversation, so the question must carry what it refers to. With an LLM, one short call
 * rewrites it; without one (or when that call fails), a cheap rule borrows the previous
 * question's content words. `eval/follow-ups.json` measures the rule (see `tools/eval-follow-ups.ts`).
 */
import { isStopword, stem, words } from '../text/terms.js';
import type { AnswerLlm, AnswerLog, ChatMessage } from './ports.js';

/** An earlier turn of the conversation, as the client sent it. */
export interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

/** Only the last few turns, each cut short, go into the condensation prompt: the prompt stays small whatever the client sends. */
const HISTORY_TURNS = 4;
const TURN_CHARS = 600;
/** A rewritten question longer than this is not a question; it is cut. */
const MAX_STANDALONE_CHARS = 500;

/** Openings that lean on what came before. */
const CONTINUATION = /^\s*(?:and|but|also|or|so|then|what about|how about|what if|same for|and if)\b/i;
/** Words that point back into the conversation. */
const POINTERS = new Set(['it', 'its', 'they', 'them', 'their', 'that', 'this', 'those', 'these', 'there', 'he', 'she', 'him', 'her', 'one', 'ones', 'same', 'else']);
/** A question with this few content words is too short to stand alone after an earlier turn. */
const SHORT_QUESTION_WORDS = 3;

function contentWords(text: string): string[] {
  return words(text).filter((w) => w.length >= 3 && !isStopword(w));
}

/** Whether a question seems to depend on the turn before it: it continues it, points back, or is very short. */
export function leansOnHistory(question: string): boolean {
  if (CONTINUATION.test(question)) return true;
  const all = words(question);
  return all.some((w) => POINTERS.has(w)) || contentWords(question).length <= SHORT_QUESTION_WORDS;
}

function lastUserTurn(history: Turn[]): string | undefined {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.role === 'user') return history[i]!.content;
  return undefined;
}

/**
 * The rule without an LLM: when the question leans on history, append the content words of the
 * previous user question that it lacks ("and for contractors?" after "How many vacation days do
 * I get?" → "and for contractors? (vacation days)").
 */
export function condenseByRule(question: string, history: Turn[]): string {
  const previous = lastUserTurn(history);
  if (!previous || !leansOnHistory(question)) return question;
  const have = new Set(words(question).map(stem));
  const borrowed = [...new Set(contentWords(previous.slice(0, TURN_CHARS)))].filter((w) => !have.has(stem(w)));
  return borrowed.length ? `${question} (${borrowed.join(' ')})` : question;
}

/** The one short call that rewrites a follow-up: the recent turns, then the question. */
export function condensationMessages(question: string, history: Turn[]): ChatMessage[] {
  const recent = history.slice(-HISTORY_TURNS).map((turn) => `${turn.role === 'user' ? 'User' : 'Assistant'}: ${turn.content.slice(0, TURN_CHARS)}`);
  return [
    {
      role: 'system',
      content: 'Rewrite the last question of a conversation as one standalone question that can be understood without the conversation. Keep its meaning and language; add only what the conversation says it refers to. Reply with the question alone.',
    },
    { role: 'user', content: `Conversation:\n${recent.join('\n')}\n\nLast question: ${question}` },
  ];
}

/** A model's rewrite, cleaned: its first line, without quotes or a label; empty if it is not usable. */
function cleanRewrite(text: string): string {
  const trimmed = text.trim();
  const newline = trimmed.indexOf('\n');
  // Cut before any pattern runs, so no scan of the untrusted reply is longer than the bound.
  const line = trimmed.slice(0, Math.min(newline === -1 ? trimmed.length : newline, MAX_STANDALONE_CHARS)).replace(/^(?:standalone question|question)\s*:\s*/i, '');
  return line.replace(/^["'\u201c\u2018]+|["'\u201d\u2019]+$/g, '').trim().slice(0, MAX_STANDALONE_CHARS);
}

export interface Standalone {
  question: string;
  /** How it was made: unchanged (no earlier user turn), by the LLM, or by the rule. */
  how: 'as-is' | 'llm' | 'rule';
}

/** The question to retrieve for: the last one as is when there is no earlier user turn, else made standalone. */
export async function standaloneQuestion(question: string, history: Turn[], llm: AnswerLlm | null, log: AnswerLog, cancel?: AbortSignal): Promise<Standalone> {
  if (!lastUserTurn(history)) return { question, how: 'as-is' };
  if (llm) {
    try {
      const rewrite = cleanRewrite((await llm.complete(condensationMessages(question, history), cancel)).text);
      if (rewrite) return { question: rewrite, how: 'llm' };
    } catch (error) {
      if (cancel?.aborted) throw error;
      log.warn('follow-up condensation failed; using the rule', { error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { question: condenseByRule(question, history), how: 'rule' };
}
