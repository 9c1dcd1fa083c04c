import ky, { HTTPError, TimeoutError } from 'ky';
import type { AnswerLlm, ChatMessage } from '../answer/ports.js';
import type { LlmSettings } from './config.js';
import { readChatStream, StreamFormatError } from './llm-sse.js';

export interface Completion {
  text: string;
  model: string;
  ms: number;
  /** Until the response began (its headers): without streaming, the first token arrives with it. */
  firstTokenMs: number;
}

/** The LLM call failed; `kind` says how, the message says where. The caller falls back to extractive answers. */
export class LlmError extends Error {
  override name = 'LlmError';
  constructor(
    readonly kind: 'http' | 'timeout' | 'response' | 'network' | 'cancelled' | 'busy',
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The one module that talks to the chat-completions API; it is the answerer's LLM. */
export interface LlmClient extends AnswerLlm {
  readonly model: string;
  complete(messages: ChatMessage[], cancel?: AbortSignal): Promise<Completion>;
  /**
   * The reply's text as the model writes it (`stream: true`). Retried like `complete` until the
   * response starts, never after; bounded by the same total timeout; `cancel` (or leaving the
   * loop early) aborts the upstream request. Fails with an LlmError.
   */
  stream(messages: ChatMessage[], cancel?: AbortSignal): AsyncIterable<string>;
}

/** Longest line of an upstream event stream: one chunk's JSON is a few hundred bytes. */
const MAX_STREAM_LINE_CHARS = 64 * 1024;
/** Characters of streamed reply per token of `max_tokens` before the stream is cut: a token is about 4; this allows a wide margin. */
const CHARS_PER_MAX_TOKEN = 16;

interface ChatCompletionResponse {
  model?: unknown;
  choices?: { message?: { content?: unknown } }[];
}

/**
 * An OpenAI-compatible chat-completions client over ky. ky's `timeout` bounds each attempt only
 * until response headers arrive, so the whole call (retries and body) is bounded separately.
 * 429 and 5xx are retried with backoff; a `Retry-After` up to `maxRetryAfterMs` is honoured, a longer
 * one ends the call (the caller answers without the LLM rather than wait).
 */
export function createLlmClient(settings: Omit<LlmSettings, 'maxConcurrency' | 'maxWaiting'>): LlmClient {
  const url = `${settings.baseUrl}/chat/completions`;
  /** The URL as messages and logs name it: without a user name or password it may carry. */
  const shown = withoutCredentials(url);
  const api = ky.create({
    timeout: settings.attemptTimeoutMs,
    headers: settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {},
    retry: {
      limit: settings.retries,
      methods: ['post'],
      statusCodes: [408, 429, 500, 502, 503, 504],
      afterStatusCodes: [429, 503],
      maxRetryAfter: settings.maxRetryAfterMs,
      backoffLimit: settings.maxRetryAfterMs,
      jitter: true,
      // A server that asks for a longer wait than the cap will refuse an earlier retry too: fall back at once.
      shouldRetry: ({ error }) => {
        if (!(error instanceof HTTPError)) return undefined;
        const after = retryAfterMs(error.response.headers.get('retry-after'));
        return after !== undefined && after > settings.maxRetryAfterMs ? false : undefined;
      },
    },
  });

  async function call(messages: ChatMessage[], signal: AbortSignal): Promise<Completion> {
    const started = Date.now();
    const body = { model: settings.model, messages, temperature: 0, max_tokens: settings.maxTokens, stream: false };
    let raw: string;
    let firstTokenMs: number;
    try {
      const response = await api.post(url, { json: body, signal });
      firstTokenMs = Date.now() - started;
      raw = await readBody(response, shown, signal, settings.maxTokens);
    } catch (error) {
      throw describe(error, shown, settings.totalTimeoutMs, signal);
    }
    return { ...parseCompletion(raw, shown, settings.model), ms: Date.now() - started, firstTokenMs };
  }

  async function* stream(messages: ChatMessage[], cancel?: AbortSignal): AsyncGenerator<string> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new LlmError('timeout', `POST ${shown} did not complete within ${settings.totalTimeoutMs} ms`)), settings.totalTimeoutMs);
    const onCancel = () => controller.abort(new LlmError('cancelled', `POST ${shown} was cancelled${cancel?.reason instanceof Error ? `: ${cancel.reason.message}` : ''}`));
    if (cancel?.aborted) onCancel();
    else cancel?.addEventListener('abort', onCancel, { once: true });
    try {
      const body = { model: settings.model, messages, temperature: 0, max_tokens: settings.maxTokens, stream: true };
      let response: Response;
      try {
        response = await api.post(url, { json: body, signal: controller.signal });
      } catch (error) {
        throw describe(error, shown, settings.totalTimeoutMs, controller.signal);
      }
      if (!(response.headers.get('content-type') ?? '').includes('text/event-stream') || !response.body) {
        // A server that ignores `stream: true` answers with one JSON body: read it within the same bound as a plain reply.
        yield parseCompletion(await readBody(response, shown, controller.signal, settings.maxTokens), shown, settings.model).text;
        return;
      }
      try {
        yield* readChatStream(response.body, { maxLineChars: MAX_STREAM_LINE_CHARS, maxReplyChars: settings.maxTokens * CHARS_PER_MAX_TOKEN });
      } catch (error) {
        if (controller.signal.aborted) throw describe(error, shown, settings.totalTimeoutMs, controller.signal);
        if (error instanceof StreamFormatError) throw new LlmError('response', `POST ${shown} sent a bad stream: ${error.message}`, undefined, { cause: error });
        throw new LlmError('network', `POST ${shown} failed mid-stream: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
      }
    } finally {
      clearTimeout(timer);
      cancel?.removeEventListener('abort', onCancel);
      // A consumer that stops early (its client left) must not leave the upstream request running.
      controller.abort(new LlmError('cancelled', `POST ${shown} was no longer read`));
    }
  }

  return {
    model: settings.model,
    stream,
    async complete(messages, cancel) {
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      let onCancel: (() => void) | undefined;
      const bounded = new Promise<never>((_, reject) => {
        const stop = (error: LlmError) => {
          controller.abort(error);
          reject(error);
        };
        timer = setTimeout(() => stop(new LlmError('timeout', `POST ${shown} did not complete within ${settings.totalTimeoutMs} ms`)), settings.totalTimeoutMs);
        onCancel = () => stop(new LlmError('cancelled', `POST ${shown} was cancelled: the server is shutting down`));
        if (cancel?.aborted) onCancel();
        else cancel?.addEventListener('abort', onCancel, { once: true });
      });
      try {
        // The race guarantees the bound even if an aborted body read were slow to give up.
        return await Promise.race([call(messages, controller.signal), bounded]);
      } finally {
        clearTimeout(timer);
        if (onCancel) cancel?.removeEventListener('abort', onCancel);
      }
    },
  };
}

/** Bytes of a reply's JSON around its text (ids, usage, and a model's extra fields). */
const REPLY_ENVELOPE_BYTES = 64 * 1024;

/**
 * A plain reply's body, refused past `maxBytes` without reading further: a `max_tokens` reply is a
 * few KB, and a broken or hostile upstream must not fill memory (a 50 MB reply was read whole).
 */
async function readCapped(response: Response, maxBytes: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new LlmError('response', `POST ${url} sent a reply of ${declared} bytes, more than the ${maxBytes} a reply of LLM_MAX_TOKENS can need`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let bytes = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    bytes += read.value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new LlmError('response', `POST ${url} sent more than the ${maxBytes} bytes a reply of LLM_MAX_TOKENS can need`);
    }
    parts.push(decoder.decode(read.value, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
}

/** A whole reply body within the bound a reply of `maxTokens` can need (readCapped), as an LlmError when it fails. */
async function readBody(response: Response, url: string, signal: AbortSignal, maxTokens: number): Promise<string> {
  try {
    return await readCapped(response, maxTokens * CHARS_PER_MAX_TOKEN * 2 + REPLY_ENVELOPE_BYTES, url);
  } catch (error) {
    if (error instanceof LlmError) throw error;
    if (signal.aborted && signal.reason instanceof LlmError) throw signal.reason;
    throw new LlmError('network', `POST ${url} failed while reading the body: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describe(error: unknown, url: string, totalTimeoutMs: number, signal: AbortSignal): LlmError {
  if (error instanceof LlmError && !signal.aborted) return error;
  if (signal.aborted) return signal.reason instanceof LlmError ? signal.reason : new LlmError('timeout', `POST ${url} did not complete within ${totalTimeoutMs} ms`, undefined, { cause: error });
  if (error instanceof HTTPError) {
    return new LlmError('http', `Request failed with status code ${error.response.status}: POST ${url}`, error.response.status, { cause: error });
  }
  if (error instanceof TimeoutError) return new LlmError('timeout', `POST ${url} sent no response headers in time`, undefined, { cause: error });
  return new LlmError('network', `POST ${url} failed: ${withoutUserInfo(error instanceof Error ? error.message : String(error))}`, undefined, { cause: error });
}

/** The answer text from a chat-completions body, or an LlmError saying what was wrong with it. */
export function parseCompletion(raw: string, url: string, requestedModel: string): { text: string; model: string } {
  let parsed: ChatCompletionResponse;
  try {
    parsed = JSON.parse(raw) as ChatCompletionResponse;
  } catch (cause) {
    throw new LlmError('response', `POST ${url} returned a body that is not JSON (${JSON.stringify(raw.slice(0, 60))})`, undefined, { cause });
  }
  const content = parsed?.choices?.[0]?.message?.content;
  if (typeof content !== 'string' || content.trim() === '') {
    throw new LlmError('response', `POST ${url} returned no choices[0].message.content`);
  }
  return { text: content.trim(), model: typeof parsed.model === 'string' ? parsed.model : requestedModel };
}

/** A URL without the user name and password it may carry (`https://user:key@host/v1` → `https://host/v1`). */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(an invalid URL)';
  }
}

/** Any `scheme://user:password@` in a message (fetch's own errors quote the URL whole) without its credentials. */
function withoutUserInfo(message: string): string {
  return message.replace(/:\/\/[^/@\s]*@/g, '://');
}
