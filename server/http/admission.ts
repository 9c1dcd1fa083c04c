import type { Context, Next } from 'koa';
import type { MemoryGovernor } from '../memory/governor.js';
import { clientOf } from './client-id.js';
import { memoryDegradedError, ServiceUnavailableError } from './errors.js';
import { FairShareError, type FairShare } from './fair-share.js';
import type { Routing } from './router.js';

export interface AdmissionDeps {
  /** The app's routes: their `alwaysOn` and `expensive` flags decide who is let in. */
  routing: Pick<Routing, 'routeAt'>;
  isShuttingDown: () => boolean;
  /** Without a governor the service is always in normal mode. */
  memory?: Pick<MemoryGovernor, 'mode' | 'snapshot'> | undefined;
  /** The worker's refusal of a task arriving now (queue full, restart cooldown), checked before an expensive route reads its body. */
  workerRefusal?: () => Error | undefined;
  /** How long a refusal for a full queue (or a client over its share) waits before it is sent (0: at once). */
  shedDelayMs?: number;
  /** Each client's cap on expensive requests in flight; without it, none. */
  fairShare?: FairShare | undefined;
}

/**
 * Who gets in, before routing: while shutting down only the always-on routes (any other path, even
 * an unknown one, gets 503 SHUTTING_DOWN); in degraded memory mode, no expensive route, whatever
 * the method (503 MEMORY_DEGRADED); while the worker's queue is full, no expensive route (503
 * QUEUE_FULL), before anything of the request is read; a client that already has its share of
 * expensive requests in flight gets 429 TOO_MANY_IN_FLIGHT, so others still get in.
 */
export function admission({ routing, isShuttingDown, memory, workerRefusal, shedDelayMs = 0, fairShare }: AdmissionDeps) {
  // A client told to retry later is answered a little later: a closed loop of refusals would
  // otherwise take the CPU the answers need (4,000 refusals a second at 200 connections).
  const refuse = async (error: Error): Promise<never> => {
    if (shedDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, shedDelayMs));
    throw error;
  };
  return async function admit(ctx: Context, next: Next): Promise<void> {
    const route = routing.routeAt(ctx.path);
    try {
      if (isShuttingDown() && !route?.alwaysOn) throw new ServiceUnavailableError('SHUTTING_DOWN', 'The server is shutting down; retry on another instance', 5);
      if (memory?.mode === 'degraded' && route?.expensive) throw memoryDegradedError(memory.snapshot());
      // Refused before the body is read or parsed: O(1), so a flood of refusals cannot starve the answers.
      const refusal = route?.expensive ? workerRefusal?.() : undefined;
      if (refusal) await refuse(refusal);
      if (route?.expensive && fairShare) {
        const release = fairShare.enter(clientOf(ctx));
        if (!release) await refuse(new FairShareError(fairShare.maxPerClient));
        // Held until the response is sent or the client goes: a streamed answer outlives the handler.
        ctx.res.once('close', release!);
      }
      await next();
    } finally {
      // A keep-alive connection would hold shutdown open until its idle timeout.
      if (isShuttingDown()) ctx.set('Connection', 'close');
    }
  };
}
