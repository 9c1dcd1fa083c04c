import { ApiError } from './errors.js';

/** 429: this client already has its share of the worker's queue in flight. */
export class FairShareError extends ApiError {
  override name = 'FairShareError';
  constructor(max: number) {
    super(429, 'TOO_MANY_IN_FLIGHT', `This client already has ${max} questions or searches in flight, its share of the queue; wait for one to finish`, { retryAfterSeconds: 1 });
  }
}

/**
 * Expensive requests in flight (admitted and not yet answered: queued for the worker, or running)
 * per client, each client capped at `maxPerClient` (CLIENT_MAX_IN_FLIGHT; a quarter of the worker
 * queue by default), so one client cannot hold the whole queue. Only clients with a request in
 * flight have an entry: the map is bounded by the connection cap.
 */
export class FairShare {
  private readonly inFlight = new Map<string, number>();

  constructor(readonly maxPerClient: number) {}

  /** Take one of `client`'s places: the function that gives it back (call it once), or undefined when the client has none left. */
  enter(client: string): (() => void) | undefined {
    const held = this.inFlight.get(client) ?? 0;
    if (held >= this.maxPerClient) return undefined;
    this.inFlight.set(client, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(client) ?? 1) - 1;
      if (left > 0) this.inFlight.set(client, left);
      else this.inFlight.delete(client);
    };
  }

  /** Requests `client` has in flight. */
  heldBy(client: string): number {
    return this.inFlight.get(client) ?? 0;
  }

  /** Clients with a request in flight. */
  get clients(): number {
    return this.inFlight.size;
  }
}
