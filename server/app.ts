import type KoaApplication from 'koa';
import type { Answerer } from '../answer/answerer.js';
import { admission } from './http/admission.js';
import { apiKeys, operatorLoopbackOnly, type ApiKeySettings } from './http/api-keys.js';
import { requireHost } from './http/client-errors.js';
import { corsFor } from './http/cors.js';
import { errorHandler } from './http/error-handler.js';
import { FairShare } from './http/fair-share.js';
import { rateLimit } from './http/rate-limit.js';
import { RefusalLog } from './http/refusal-log.js';
import { requestLog } from './http/request-log.js';
import { createRouting, type RouteTable } from './http/router.js';
import type { InputLimits } from './http/validate.js';
import type { Logger } from './logger.js';
import type { MemoryGovernor } from './memory/governor.js';
import type { ServiceMetrics } from './metrics.js';
import { lazyHandler } from './routes/lazy-handler.js';
import { pageHandler } from './routes/page.js';
import { metricsHandler } from './routes/metrics.js';
import { aboutHandler, healthHandler, memoryHandler, readyHandler, type About } from './routes/status.js';
import type { WorkerGate } from './worker-gate/worker-gate.js';
import { requireCjs } from './require-cjs.js';

const Koa = requireCjs('koa') as typeof KoaApplication;

export interface AppDeps {
  /** `refusalNow`, when given, lets admission refuse expensive requests before reading them while the worker's queue is full. */
  gate: Pick<WorkerGate, 'search' | 'snapshot' | 'document'> & Partial<Pick<WorkerGate, 'refusalNow'>>;
  answerer: Pick<Answerer, 'ask' | 'askStream'>;
  limits: InputLimits;
  log: Logger;
  /** What `/readyz` and `/` describe. */
  about: About;
  isShuttingDown?: () => boolean;
  /** The memory governor; without one the service is always in normal mode. */
  memory?: Pick<MemoryGovernor, 'mode' | 'snapshot'>;
  /** API keys (`API_KEYS`, `OPERATOR_API_KEYS`); without them every route is open. */
  apiKeys?: ApiKeySettings;
  /** How long a refusal for a full worker queue waits before it is sent (`SHED_DELAY_MS`). */
  shedDelayMs?: number;
  /** Proxies in front whose X-Forwarded-For is believed (`TRUST_PROXY_HOPS`); 0 or unset: the peer address is the client's. */
  trustProxyHops?: number;
  /** How often a streamed answer sends a heartbeat comment (default 15 s). */
  sseHeartbeatMs?: number;
  /** Counts every request and serves `GET /metrics`; without it there is no such route. */
  metrics?: Pick<ServiceMetrics, 'requestDone' | 'exposition'> | undefined;
  /** Expensive requests per client per minute (`RATE_LIMIT_PER_MINUTE`); 0 or unset: no limit. */
  ratePerMinute?: number;
  /** Expensive requests one client may have in flight or queued (`CLIENT_MAX_IN_FLIGHT`); unset: no cap. */
  clientMaxInFlight?: number;
  /** Origins allowed to call the API from a browser (`CORS_ORIGINS`); empty or unset: no CORS. */
  corsOrigins?: readonly string[];
  /** The interval refusals are logged by sample in (see `refusal-log.ts`); 0 or unset: every refusal is logged. */
  refusalLogIntervalMs?: number;
  /** The refusal log itself, when its owner flushes it (the service, at shutdown); else one is made from `refusalLogIntervalMs`. */
  refusals?: RefusalLog;
}

/** The Koa app: a log line per request, routes, one error handler, no listening and no `process.env` (see `index.ts`). */
export function createApp(deps: AppDeps): KoaApplication {
  const isShuttingDown = deps.isShuttingDown ?? (() => false);
  const status = { gate: deps.gate, memory: deps.memory, about: deps.about, isShuttingDown };

  const { metrics } = deps;
  const streaming = { heartbeatMs: deps.sseHeartbeatMs, log: deps.log };
  // The question routes' modules load on their first request (`lazy-handler.ts`); the page and the health checks at boot.
  const ask = lazyHandler(async () => (await import('./routes/ask.js')).askHandler(deps.answerer, deps.limits, streaming));
  const search = lazyHandler(async () => (await import('./routes/search.js')).searchHandler(deps.gate, deps.limits));
  const document = lazyHandler(async () => (await import('./routes/documents.js')).documentHandler(deps.gate));
  const chat = lazyHandler(async () => (await import('./routes/openai.js')).chatCompletionsHandler(deps.answerer, deps.limits, streaming));
  const models = lazyHandler(async () => (await import('./routes/openai.js')).modelsHandler());
  // The one list of routes. `alwaysOn`: answered while shutting down; `expensive`: shed in degraded memory mode.
  const routes: RouteTable = {
    '/': { methods: { GET: pageHandler('/', aboutHandler(deps.about)) }, public: true },
    '/assets/app.js': { methods: { GET: pageHandler('/assets/app.js') }, public: true },
    '/assets/style.css': { methods: { GET: pageHandler('/assets/style.css') }, public: true },
    '/healthz': { methods: { GET: healthHandler }, alwaysOn: true, public: true },
    '/readyz': { methods: { GET: readyHandler(status) }, alwaysOn: true, public: true },
    '/api/memory': { methods: { GET: memoryHandler(status) }, alwaysOn: true, operator: true },
    '/api/ask': { methods: { POST: ask }, expensive: true },
    '/api/search': { methods: { GET: search }, expensive: true },
    '/api/documents/:source': { methods: { GET: document }, expensive: true },
    // OpenAI-compatible: answers from the documents in the chat-completions wire format, citations in `citations`.
    '/v1/chat/completions': { methods: { POST: chat }, expensive: true },
    '/v1/models': { methods: { GET: models } },
    ...(metrics ? { '/metrics': { methods: { GET: metricsHandler(metrics) }, alwaysOn: true, operator: true } } : {}),
  };

  const routing = createRouting(routes);
  const app = new Koa();
  // X-Forwarded-For is believed only as far as the proxies the operator says are in front (TRUST_PROXY_HOPS; Render and Heroku: 1).
  app.proxy = (deps.trustProxyHops ?? 0) > 0;
  app.maxIpsCount = deps.trustProxyHops ?? 0;
  // Responses are data for one client: never sniffed as another type, never cached by a shared cache (the page sets its own).
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  const refusals = deps.refusals ?? new RefusalLog(deps.log, { intervalMs: deps.refusalLogIntervalMs ?? 0 });
  app.use(requestLog({ log: deps.log, routing, refusals, ...(metrics ? { onDone: (request) => metrics.requestDone(request) } : {}) }));
  // Before the error handler, so its answers (429s included) carry the CORS headers a page needs to read them.
  const cors = corsFor(deps.corsOrigins ?? []);
  if (cors) app.use(cors);
  app.use(errorHandler(deps.log, refusals));
  app.use(requireHost);
  const keys = deps.apiKeys ?? { keys: [], operatorKeys: [] };
  if (keys.keys.length === 0 && keys.operatorKeys.length === 0) app.use(operatorLoopbackOnly(routing));
  else app.use(apiKeys(keys, routing));
  app.use(rateLimit({ perMinute: deps.ratePerMinute ?? 0 }, routing));
  const { gate } = deps;
  const fairShare = deps.clientMaxInFlight ? new FairShare(deps.clientMaxInFlight) : undefined;
  app.use(admission({ routing, isShuttingDown, memory: deps.memory, fairShare, shedDelayMs: deps.shedDelayMs ?? 0, ...(gate.refusalNow ? { workerRefusal: () => gate.refusalNow!() } : {}) }));
  app.use(routing.middleware);
  // Errors are answered by errorHandler; Koa's default handler would only log them again.
  app.silent = true;
  return app;
}
