import type { Piscina } from 'piscina';
import type { Job } from './task-queue.js';

/** One task on the worker: a lone job (aborted through its own signal) or a batch's jobs. */
export interface Flight {
  readonly jobs: Job[];
  readonly abort: AbortController;
  /** The worker it was sent to: a crash fails every flight on it, and counts once. */
  worker: Piscina | undefined;
}

/**
 * The tasks on the worker now (the dispatch loop's bookkeeping): at most `limit` at once (one for
 * the file store, more for the PostgreSQL store), and which workers' crashes were already counted.
 */
export class InFlight {
  private readonly flights = new Set<Flight>();
  /** Workers whose crash was counted: the other tasks it failed are retried, not counted again. */
  private readonly crashed = new WeakSet<Piscina>();

  /** `limit`: tasks the worker may run at once. */
  constructor(readonly limit: number) {}

  /** Tasks on the worker. */
  get size(): number {
    return this.flights.size;
  }

  /** The jobs on the worker now, in the order they were sent. */
  get jobs(): Job[] {
    return [...this.flights].flatMap((flight) => flight.jobs);
  }

  /** Put `jobs` on the worker as one task: a lone job keeps its own abort controller, a batch gets one for all. */
  add(jobs: Job[]): Flight {
    const flight: Flight = { jobs, abort: jobs.length === 1 ? jobs[0]!.abort : new AbortController(), worker: undefined };
    this.flights.add(flight);
    return flight;
  }

  delete(flight: Flight): void {
    this.flights.delete(flight);
  }

  /** Abort every task on the worker (a deadline passed for all of them). */
  abortAll(reason: Error): void {
    for (const flight of this.flights) flight.abort.abort(reason);
  }

  /**
   * Piscina runs a task that has an abort signal alone on its thread (aborting it terminates the
   * thread). With several tasks in flight the signal stays here, and the deadline terminates the worker.
   */
  runOptions(flight: Flight): { signal?: AbortSignal } {
    return this.limit === 1 ? { signal: flight.abort.signal } : {};
  }

  /** Whether `flight`'s failure is a crash already counted for its worker (and marks it counted). */
  sameCrash(flight: Flight): boolean {
    if (!flight.worker || flight.abort.signal.aborted) return false;
    const seen = this.crashed.has(flight.worker);
    this.crashed.add(flight.worker);
    return seen;
  }
}
