import path from 'node:path';
import type { AboutResponse, HealthResponse } from '../http/api-types.js';
import type { Handler } from '../http/router.js';
import type { MemoryGovernor } from '../memory/governor.js';
import type { WorkerGate } from '../worker-gate/worker-gate.js';
import type { IndexCheck } from '../index-check.js';
import { memoryReport, readiness } from './status-reports.js';
import { sendJson } from '../http/json-body.js';

/** What `/readyz` and `/` describe. */
export interface About {
  version: string;
  indexDir: string;
  embeddingModel: string;
  llmModel: string | null;
  /** What the boot check read from the index's manifest; absent where no check ran (tests). */
  index?: IndexCheck | null;
}

/** What the status routes read: the gate's stats, the governor's snapshot, the shutdown flag. */
export interface StatusDeps {
  gate: Pick<WorkerGate, 'snapshot'>;
  memory?: Pick<MemoryGovernor, 'snapshot'> | undefined;
  about: About;
  isShuttingDown: () => boolean;
}

/** `GET /`: what the service is and how to call it. */
export function aboutHandler(about: About): Handler {
  return (ctx) => {
    sendJson(ctx, {
      name: 'rag512',
      version: about.version,
      description: 'Answers questions about your documents, citing the exact passages.',
      endpoints: {
        'POST /api/ask': 'body {"question": string, "topK"?: number, "filter"?: {"source"?: string}}',
        'GET /api/search?q=...&k=...&source=...': 'the ranked passages only',
        'GET /healthz': 'the process is up',
        'GET /readyz': 'ready to answer, and why not',
        'GET /api/memory': 'memory of the process and its search worker',
      },
      try: `curl -s localhost:PORT/api/ask -H 'content-type: application/json' -d '{"question":"How many vacation days do I get?"}'`,
    } satisfies AboutResponse);
  };
}

/** `GET /healthz`: the process is up; it checks nothing else. */
export const healthHandler: Handler = (ctx) => {
  sendJson(ctx, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) } satisfies HealthResponse);
};

/** A folder as anyone may see it: relative to the working directory when inside it, else its last part. */
export function shownPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.basename(dir);
}

const DATABASE_URL = /\bpostgres(?:ql)?:\/\/[^\s)'",;]+/gi;

/**
 * The index as anyone may see it: a folder by `shownPath`; a PostgreSQL store by its database name
 * only (`postgres://…/rag`), never its host, user or password.
 */
export function shownIndex(dir: string): string {
  if (!/^postgres(?:ql)?:\/\//i.test(dir)) return shownPath(dir);
  try {
    const name = new URL(dir).pathname.replace(/^\/+/, '');
    return `postgres://…/${name}`;
  } catch {
    return 'postgres://…';
  }
}

/** `GET /readyz`: 200 when a question asked now gets an answer, else 503; the body says why. */
export function readyHandler(deps: StatusDeps): Handler {
  return (ctx) => {
    const { about } = deps;
    const report = readiness({ stats: deps.gate.snapshot(), memory: deps.memory?.snapshot() ?? null, shuttingDown: deps.isShuttingDown(), indexDir: about.indexDir, embeddingModel: about.embeddingModel, llmModel: about.llmModel, index: about.index ?? null });
    // /readyz is open to anyone: the machine's folders are not theirs to read.
    const shown = shownIndex(about.indexDir);
    report.index.dir = shown;
    if (report.reason) report.reason = report.reason.split(about.indexDir).join(shown).replace(DATABASE_URL, (url) => shownIndex(url));
    ctx.status = report.ready ? 200 : 503;
    sendJson(ctx, report);
  };
}

/** `GET /api/memory`: the memory of the process and of its search worker. */
export function memoryHandler(deps: StatusDeps): Handler {
  return (ctx) => {
    sendJson(ctx, memoryReport(deps.gate.snapshot(), deps.memory?.snapshot() ?? null));
  };
}
