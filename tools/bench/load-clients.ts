/** Concurrent HTTP clients asking questions, for the benchmarks: what users do to a server. */

/** Error codes of deliberate load shedding: the server is protecting itself, not failing. */
const SHED = new Set(['MEMORY_DEGRADED', 'QUEUE_FULL']);

export interface LoadOptions {
  url: string;
  clients: number;
  questions: string[];
  /** Stop after this long... */
  durationMs?: number;
  /** ...or after this many requests in all, whichever comes first. */
  total?: number;
  /** Called after each response; benchmarks use it to sample the server's own view. */
  onResponse?: (status: number, ms: number) => void;
}

export interface LoadResult {
  requests: number;
  /** Anything but 200, including refused connections (status 0). */
  failed: number;
  /** Refused on purpose with 503 and Retry-After (MEMORY_DEGRADED, QUEUE_FULL): counted apart from failures. */
  shed: number;
  shedByCode: Record<string, number>;
  statuses: Record<string, number>;
  /** Latencies in ms, sorted ascending. */
  latencies: number[];
  /** Answer modes seen (llm, extractive, abstain). */
  answerModes: Record<string, number>;
  /** Memory modes reported in answers. */
  memoryModes: Record<string, number>;
  /** How answers' passages were found: hybrid, or lexical (keyword search alone). */
  retrievals: Record<string, number>;
  wallMs: number;
  /** The first few failures, to say what went wrong. */
  errors: string[];
}

/** Ask `questions` in turn from `clients` concurrent clients; each waits for its answer before asking again. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { requests: 0, failed: 0, shed: 0, shedByCode: {}, statuses: {}, latencies: [], answerModes: {}, memoryModes: {}, retrievals: {}, wallMs: 0, errors: [] };
  const started = performance.now();
  const deadline = options.durationMs ? started + options.durationMs : Number.POSITIVE_INFINITY;
  const total = options.total ?? Number.POSITIVE_INFINITY;
  let next = 0;
  const count = (map: Record<string, number>, key: string) => void (map[key] = (map[key] ?? 0) + 1);

  async function client(): Promise<void> {
    while (performance.now() < deadline && next < total) {
      const question = options.questions[next++ % options.questions.length]!;
      const sent = performance.now();
      let status = 0;
      let code = '';
      try {
        const res = await fetch(`${options.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
        status = res.status;
        const body = (await res.json()) as { mode?: string; memoryMode?: string; retrieval?: string; error?: { code: string; message: string } };
        if (body.mode) count(result.answerModes, body.mode);
        if (body.retrieval) count(result.retrievals, body.retrieval);
        if (body.memoryMode) count(result.memoryModes, body.memoryMode);
        code = body.error?.code ?? '';
        if (status !== 200 && !SHED.has(code) && result.errors.length < 5) result.errors.push(`${status} ${code}: ${body.error?.message ?? ''}`);
      } catch (error) {
        if (result.errors.length < 5) result.errors.push(error instanceof Error ? error.message : String(error));
      }
      const ms = performance.now() - sent;
      result.requests++;
      count(result.statuses, String(status));
      if (status === 503 && SHED.has(code)) {
        result.shed++;
        count(result.shedByCode, code);
      } else if (status !== 200) result.failed++;
      result.latencies.push(ms);
      options.onResponse?.(status, ms);
    }
  }

  await Promise.all(Array.from({ length: options.clients }, client));
  result.wallMs = performance.now() - started;
  result.latencies.sort((a, b) => a - b);
  return result;
}
