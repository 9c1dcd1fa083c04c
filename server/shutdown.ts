import type { Server } from 'node:http';
import type { MemoryGovernor } from './memory/governor.js';
import type { WorkerGate } from './worker-gate/worker-gate.js';

/** Time left, before the shutdown bound, for requests whose LLM call was cut to answer extractively. */
const LLM_SHUTDOWN_MARGIN_MS = 1000;

/** How often connections that went idle after their last response are closed while draining. */
const IDLE_SWEEP_MS = 100;

/** What a shutdown stops, in this order. */
export interface ShutdownParts {
  server: Server;
  gate: Pick<WorkerGate, 'close'>;
  governor: Pick<MemoryGovernor, 'stop'>;
  /** Aborted near the bound: the answerer's LLM calls still running then are cut. */
  llmCancel: AbortController;
}

/**
 * Stop sampling memory, stop accepting, let in-flight requests finish, then stop the worker.
 * Resolves `true` if that took less than `timeoutMs`; otherwise the remaining connections are cut
 * and it resolves `false`.
 */
export async function shutdown(parts: ShutdownParts, timeoutMs: number): Promise<boolean> {
  const { server, gate, governor, llmCancel } = parts;
  governor.stop();
  // LLM calls still running close to the bound are cut, so their requests end in extractive answers, not dropped connections.
  const cancelLlm = setTimeout(() => llmCancel.abort(), Math.max(0, timeoutMs - LLM_SHUTDOWN_MARGIN_MS));
  const drained = (async () => {
    await closeServer(server);
    await gate.close();
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const clean = await Promise.race([drained.then(() => true as const), timedOut]);
  clearTimeout(timer);
  clearTimeout(cancelLlm);
  if (!clean) server.closeAllConnections();
  return clean;
}

/** Stop listening and resolve once every connection has ended; idle ones are closed as they appear. */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    server.once('close', () => clearInterval(sweep));
    server.closeIdleConnections();
  });
}
