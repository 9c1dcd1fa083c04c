/**
 * The OpenAI chat-completions wire format as `/v1/*` speaks it: the request read with zod, the
 * response and chunk shapes, and errors in OpenAI's shape (`{ error: { message, type, param, code } }`).
 */
import { z } from 'zod';
import type { AskResponse, Citation } from '../../answer/answerer.js';
import type { Turn } from '../../answer/follow-up.js';
import { WireRequestError } from './openai-errors.js';

// Errors in OpenAI's shape live apart, without zod, for the error handler every request passes.
export { WireRequestError, wireError, type WireErrorBody } from './openai-errors.js';

/** The one model `/v1/models` lists and every response names, whatever model the client asked for. */
export const MODEL_ID = 'rag512';
/** Earlier turns beyond these are not read: the follow-up rewrite uses only the last few anyway. */
const MAX_MESSAGES = 200;

const textPart = z.object({ type: z.literal('text'), text: z.string() }).loose();
const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    // Text as a string or as text parts (both clients send strings for text); null on assistant turns that only called tools.
    content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
  })
  .loose();

/** What is read of a chat-completions request; other fields (`temperature`, `max_tokens`, `tools`…) are accepted and ignored. */
const chatRequest = z
  .object({
    model: z.string().max(200).optional(),
    messages: z.array(message).min(1).max(MAX_MESSAGES),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
  })
  .loose();

export interface ChatRequest {
  question: string;
  history: Turn[];
  stream: boolean;
  includeUsage: boolean;
  /** Characters of every message's text: the prompt side of the usage estimate. */
  promptChars: number;
}

function textOf(content: z.infer<typeof message>['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text).join('\n');
}

/** The request body → the question (the last message, from the user), the earlier turns, and how to answer. */
export function parseChatRequest(body: unknown, maxQuestionChars: number): ChatRequest {
  const parsed = chatRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`)).join('') || null;
    throw new WireRequestError(`${param ?? 'The body'}: ${issue.message}`, param);
  }
  const { messages } = parsed.data;
  const last = messages[messages.length - 1]!;
  if (last.role !== 'user') throw new WireRequestError(`The last message must be the user's question, got role "${last.role}"`, 'messages');
  const question = textOf(last.content).trim();
  if (!question) throw new WireRequestError('The last message has no text', `messages[${messages.length - 1}].content`);
  if (question.length > maxQuestionChars) throw new WireRequestError(`The question must be at most ${maxQuestionChars} characters, got ${question.length}`, `messages[${messages.length - 1}].content`);
  const history = messages
    .slice(0, -1)
    .filter((m): m is typeof m & { role: Turn['role'] } => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({ role: m.role, content: textOf(m.content) }))
    .filter((turn) => turn.content.trim() !== '');
  return {
    question,
    history,
    stream: parsed.data.stream === true,
    includeUsage: parsed.data.stream_options?.include_usage === true,
    promptChars: messages.reduce((sum, m) => sum + textOf(m.content).length, 0),
  };
}

/** Token counts are an estimate, characters / 4 (about right for English with OpenAI's tokenizers); no tokenizer is loaded. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageOf(promptChars: number, answer: string): Usage {
  const prompt = estimateTokens(promptChars);
  const completion = estimateTokens(answer.length);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** What our clients read beside the OpenAI fields: the checked citations, and how the answer was made. */
export interface AnswerExtras {
  citations: Citation[];
  rag512: { mode: AskResponse['mode']; retrieval: AskResponse['retrieval']; notices: string[] };
}

export function extrasOf(answer: AskResponse): AnswerExtras {
  return { citations: answer.citations, rag512: { mode: answer.mode, retrieval: answer.retrieval, notices: answer.notices } };
}

/** `POST /v1/chat/completions` without `stream`. */
export interface ChatCompletion extends AnswerExtras {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: 0; message: { role: 'assistant'; content: string; refusal: null }; logprobs: null; finish_reason: 'stop' }[];
  usage: Usage;
}

/** One `data:` event of `POST /v1/chat/completions` with `stream: true`; the last carries the extras (and usage if asked for). */
export interface ChatCompletionChunk extends Partial<AnswerExtras> {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: 0; delta: { role?: 'assistant'; content?: string }; logprobs: null; finish_reason: 'stop' | null }[];
  usage?: Usage;
}
