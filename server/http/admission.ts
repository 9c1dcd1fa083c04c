import type { Context, Next } from 'koa';
import type { MemoryGovernor } from '../memory/governor.js';
import { memoryDegradedError, ServiceUnavailableError } from './errors.js';
import type { Routing } from './router.js';

export interface AdmissionDeps {
  /** The app's routes: their `alwaysOn` and `expensive` flags decide who is let in. */
  routing: Pick<Routing, 'routeAt'>;
  isShuttingDown: () => boolean;
  /** Without a governor the service is always in normal mode. */
  memory?: Pick<MemoryGovernor, 'mode' | 'snapshot'> | undefined;
}

/**
 * Who gets in, before routing: while shutting down only the always-on routes (any other path, even
 * an unknown one, gets 503 SHUTTING_DOWN); in degraded memory mode, no expensive route, whatever
 * the method (503 MEMORY_DEGRADED).
 */
export function admission({ routing, isShuttingDown, memory }: AdmissionDeps) {
  return async function admit(ctx: Context, next: Next): Promise<void> {
    const route = routing.routeAt(ctx.path);
    try {
      if (isShuttingDown() && !route?.alwaysOn) throw new ServiceUnavailableError('SHUTTING_DOWN', 'The server is shutting down; retry on another instance', 5);
      if (memory?.mode === 'degraded' && route?.expensive) throw memoryDegradedError(memory.snapshot());
      await next();
    } finally {
      // A keep-alive connection would hold shutdown open until its idle timeout.
      if (isShuttingDown()) ctx.set('Connection', 'close');
    }
  };
}
