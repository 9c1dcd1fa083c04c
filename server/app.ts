import Koa, { type Context } from 'koa';
import type { Answerer } from '../answer/answerer.js';
import { errorHandler } from './http/error-handler.js';
import { memoryDegradedError, MethodNotAllowedError, NotFoundError, ServiceUnavailableError } from './http/errors.js';
import type { Logger } from './logger.js';
import type { MemoryGovernor } from './memory/governor.js';
import { headingOf, headingTrail } from '../answer/prompt.js';
import { readJson } from './http/read-json.js';
import type { GateStats, WorkerGate } from './worker-gate/worker-gate.js';
import { memoryReport, readiness } from './routes/status-reports.js';
import { parseAskBody, parseSearchQuery, type InputLimits } from './http/validate.js';

export interface AppDeps {
  gate: Pick<WorkerGate, 'search' | 'snapshot'>;
  answerer: Answerer;
  limits: InputLimits;
  log: Logger;
  /** What `/readyz` and `/` describe. */
  about: { version: string; indexDir: string; embeddingModel: string; llmModel: string | null };
  isShuttingDown?: () => boolean;
  /** The memory governor; without one the service is always in normal mode. */
  memory?: Pick<MemoryGovernor, 'mode' | 'snapshot'>;
}

type Handler = (ctx: Context) => Promise<void> | void;

const BODY_LIMIT_BYTES = 64 * 1024;
/** Routes shed in degraded memory mode. */
const EXPENSIVE = new Set(['/api/ask', '/api/search']);
/** Routes that keep answering while the server drains for shutdown. */
const ALWAYS_ON = new Set(['/healthz', '/readyz', '/api/memory']);

/** The Koa app: routes, one error handler, no listening and no `process.env` (see `index.ts`). */
export function createApp(deps: AppDeps): Koa {
  const shuttingDown = deps.isShuttingDown ?? (() => false);
  const stats = (): GateStats => deps.gate.snapshot();

  const routes: Record<string, Record<string, Handler>> = {
    '/': {
      GET: (ctx) => {
        ctx.body = {
          name: 'rag512',
          version: deps.about.version,
          description: 'Answers questions about your documents, citing the exact passages.',
          endpoints: {
            'POST /api/ask': 'body {"question": string, "topK"?: number, "filter"?: {"source"?: string}}',
            'GET /api/search?q=...&k=...&source=...': 'the ranked passages only',
            'GET /healthz': 'the process is up',
            'GET /readyz': 'ready to answer, and why not',
            'GET /api/memory': 'memory of the process and its search worker',
          },
          try: `curl -s localhost:PORT/api/ask -H 'content-type: application/json' -d '{"question":"How many vacation days do I get?"}'`,
        };
      },
    },
    '/healthz': { GET: (ctx) => void (ctx.body = { status: 'ok', uptimeSeconds: Math.round(process.uptime()) }) },
    '/readyz': {
      GET: (ctx) => {
        const report = readiness({ stats: stats(), memory: deps.memory?.snapshot() ?? null, shuttingDown: shuttingDown(), indexDir: deps.about.indexDir, embeddingModel: deps.about.embeddingModel, llmModel: deps.about.llmModel });
        ctx.status = report.ready ? 200 : 503;
        ctx.body = report;
      },
    },
    '/api/memory': { GET: (ctx) => void (ctx.body = memoryReport(stats(), deps.memory?.snapshot() ?? null)) },
    '/api/ask': {
      POST: async (ctx) => {
        const input = parseAskBody(await readJson(ctx, BODY_LIMIT_BYTES), deps.limits);
        ctx.body = await deps.answerer.ask(input);
      },
    },
    '/api/search': {
      GET: async (ctx) => {
        const input = parseSearchQuery(ctx.query, deps.limits);
        const found = await deps.gate.search({ query: input.question, topK: input.topK, ...(input.filter ? { filter: input.filter } : {}) });
        ctx.body = {
          results: found.value.hits.map((hit) => ({ id: hit.id, source: hit.source, title: hit.title, heading: headingOf(hit), trail: headingTrail(hit), start: hit.start, end: hit.end, text: hit.text, score: hit.score })),
          retrieval: found.value.retrieval === 'lexical' ? 'lexical' : 'hybrid',
          ...(found.value.degradedReason ? { notice: `keyword search only: ${found.value.degradedReason}` } : {}),
          timings: { queueMs: found.queueMs, embedMs: found.value.timings.embedMs, searchMs: found.value.timings.searchMs },
        };
      },
    },
  };

  const app = new Koa();
  app.proxy = true;
  app.use(errorHandler(deps.log));
  app.use(async (ctx, next) => {
    try {
      if (shuttingDown() && !ALWAYS_ON.has(ctx.path)) throw new ServiceUnavailableError('SHUTTING_DOWN', 'The server is shutting down; retry on another instance', 5);
      if (deps.memory?.mode === 'degraded' && EXPENSIVE.has(ctx.path)) {
        throw memoryDegradedError(deps.memory.snapshot());
      }
      await next();
    } finally {
      // A keep-alive connection would hold shutdown open until its idle timeout.
      if (shuttingDown()) ctx.set('Connection', 'close');
    }
  });
  app.use(async (ctx) => {
    const route = routes[ctx.path];
    if (!route) throw new NotFoundError(ctx.method, ctx.path);
    const handler = route[ctx.method] ?? (ctx.method === 'HEAD' ? route.GET : undefined);
    if (!handler) throw new MethodNotAllowedError(ctx.method, ctx.path, route.GET ? [...Object.keys(route), 'HEAD'] : Object.keys(route));
    await handler(ctx);
  });
  // Errors are answered by errorHandler; Koa's default handler would only log them again.
  app.silent = true;
  return app;
}

