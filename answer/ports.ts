/**
 * What the answerer needs from the main thread, as small types it owns: the server's LLM client,
 * logger, memory governor and worker gate satisfy them, and answer/ imports nothing of server/.
 */
import type { SearchOutput, SearchRequest } from '../workers/protocol.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A chat-completions model (server/llm.ts's client is one). */
export interface AnswerLlm {
  /** `cancel` aborts the call early (the server uses it to finish requests before shutting down). */
  complete(messages: ChatMessage[], cancel?: AbortSignal): Promise<{ text: string }>;
  /** The reply as the model writes it, in pieces; `cancel` ends the call. Without it, answers are not streamed token by token. */
  stream?(messages: ChatMessage[], cancel?: AbortSignal): AsyncIterable<string>;
}

/** Where the answerer reports a failure it recovered from. */
export interface AnswerLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** The memory governor's modes (server/memory/governor.ts): cautious and degraded answers use fewer, shorter passages. */
export type MemoryMode = 'normal' | 'cautious' | 'degraded';

/** The worker's search, as the answerer needs it: the output and how long the question waited. */
export type SearchFn = (request: SearchRequest) => Promise<{ value: SearchOutput; queueMs: number }>;
