import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LLM_NO_ANSWER_NOTICE, type AskResponse } from '../answer/answerer.js';
import type { SearchOutput } from '../workers/protocol.js';
import type { RequestDone } from './http/request-log.js';
import type { MemoryGovernor, MemoryMode } from './memory/governor.js';
import type { RecycleReason, TaskResult, WorkerGate } from './worker-gate/worker-gate.js';

/** What the metrics read at scrape time rather than count as things happen. */
export interface MetricsSources {
  gate: Pick<WorkerGate, 'snapshot'>;
  /** Without a governor the service is always in normal mode. */
  memory?: Pick<MemoryGovernor, 'mode'> | undefined;
}

/** How an LLM call ended: a completion, or an `LlmError`'s kind (`unknown` for anything else). */
export type LlmOutcome = 'ok' | 'http' | 'timeout' | 'response' | 'network' | 'cancelled' | 'busy' | 'unknown';

const MEMORY_MODES: readonly MemoryMode[] = ['normal', 'cautious', 'degraded'];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20];
const WORKER_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const LLM_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32];

/**
 * The service's Prometheus metrics on a registry of their own (never prom-client's global one, so
 * tests can build several apps in one process). Counters and histograms move as things happen;
 * the queue, the recycles and the memory mode are read from the gate and the governor at each
 * scrape, so nothing between scrapes costs more than an increment.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly requestSeconds: Histogram<'route' | 'method' | 'status'>;
  private readonly queueWaitSeconds: Histogram;
  private readonly embeddingSeconds: Histogram;
  private readonly retrievalSeconds: Histogram<'retrieval'>;
  private readonly llmFirstTokenSeconds: Histogram;
  private readonly llmSeconds: Histogram<'outcome'>;
  private readonly llmErrors: Counter<'kind'>;
  private readonly answers: Counter<'mode'>;
  private readonly abstentions: Counter<'cause'>;

  constructor(sources: MetricsSources, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by route pattern, method and status', labelNames: ['route', 'method', 'status'], registers });
    this.requestSeconds = new Histogram({ name: 'http_request_duration_seconds', help: 'Time to answer an HTTP request, by route pattern, method and status', labelNames: ['route', 'method', 'status'], buckets: HTTP_BUCKETS, registers });
    this.queueWaitSeconds = new Histogram({ name: 'rag512_worker_queue_wait_seconds', help: 'Time a search waited for the worker', buckets: WORKER_BUCKETS, registers });
    this.embeddingSeconds = new Histogram({ name: 'rag512_embedding_seconds', help: 'Time the worker spent embedding a question (and its passages\' sentences when asked), hybrid searches only', buckets: WORKER_BUCKETS, registers });
    this.retrievalSeconds = new Histogram({ name: 'rag512_retrieval_seconds', help: 'Time the worker spent searching the index (vector and keyword), by retrieval mode', labelNames: ['retrieval'], buckets: WORKER_BUCKETS, registers });
    this.llmFirstTokenSeconds = new Histogram({ name: 'rag512_llm_time_to_first_token_seconds', help: 'Time from sending an LLM request to its response starting (answers are not streamed: the first token comes with the response)', buckets: LLM_BUCKETS, registers });
    this.llmSeconds = new Histogram({ name: 'rag512_llm_duration_seconds', help: 'Time of a whole LLM call, retries included, by outcome', labelNames: ['outcome'], buckets: LLM_BUCKETS, registers });
    this.llmErrors = new Counter({ name: 'rag512_llm_errors_total', help: 'LLM calls that failed (the answer fell back to quoting passages), by kind', labelNames: ['kind'], registers });
    this.answers = new Counter({ name: 'rag512_answers_total', help: 'Answers to /api/ask, by mode', labelNames: ['mode'], registers });
    this.abstentions = new Counter({ name: 'rag512_abstentions_total', help: 'Answers that abstained, by cause: the relevance floors, or the LLM finding no answer in the passages', labelNames: ['cause'], registers });
    registerSampled(sources, registers);
  }

  /** An HTTP request was answered. */
  requestDone({ route, method, status, seconds }: RequestDone): void {
    const labels = { route, method, status: String(status) };
    this.requests.inc(labels);
    this.requestSeconds.observe(labels, seconds);
  }

  /** A search came back from the worker (for `/api/search` or an answer). */
  searched(result: Pick<TaskResult<SearchOutput>, 'value' | 'queueMs'>): void {
    const { retrieval, timings } = result.value;
    this.queueWaitSeconds.observe(result.queueMs / 1000);
    if (retrieval !== 'lexical') this.embeddingSeconds.observe(timings.embedMs / 1000);
    this.retrievalSeconds.observe({ retrieval }, timings.searchMs / 1000);
  }

  /** An LLM call ended; `firstTokenMs` when its response started. */
  llmCall(outcome: LlmOutcome, ms: number, firstTokenMs?: number): void {
    this.llmSeconds.observe({ outcome }, ms / 1000);
    if (firstTokenMs !== undefined) this.llmFirstTokenSeconds.observe(firstTokenMs / 1000);
    if (outcome !== 'ok') this.llmErrors.inc({ kind: outcome });
  }

  /** An answer went out; an abstention is counted by its cause (a bounded label, never the free-text reason). */
  answered(response: Pick<AskResponse, 'mode' | 'notices'>): void {
    this.answers.inc({ mode: response.mode });
    if (response.mode === 'abstain') this.abstentions.inc({ cause: response.notices.includes(LLM_NO_ANSWER_NOTICE) ? 'llm' : 'relevance' });
  }

  /** The scrape: the text format and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The gauges and counters read from the gate and the governor when scraped. */
function registerSampled(sources: MetricsSources, registers: Registry[]): void {
  new Gauge({
    name: 'rag512_worker_queue_length',
    help: 'Searches waiting for the worker',
    registers,
    collect() {
      this.set(sources.gate.snapshot().queued);
    },
  });
  new Counter({
    name: 'rag512_worker_recycles_total',
    help: 'Worker threads replaced, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      // The gate keeps the counts; the metric shows them as they are.
      this.reset();
      for (const [reason, count] of Object.entries(sources.gate.snapshot().recyclesByReason) as [RecycleReason, number][]) this.inc({ reason }, count);
    },
  });
  new Gauge({
    name: 'rag512_memory_mode',
    help: 'The memory governor\'s mode: 1 for the current one (normal, cautious or degraded), 0 for the others',
    labelNames: ['mode'],
    registers,
    collect() {
      const current = sources.memory?.mode ?? 'normal';
      for (const mode of MEMORY_MODES) this.set({ mode }, mode === current ? 1 : 0);
    },
  });
}
