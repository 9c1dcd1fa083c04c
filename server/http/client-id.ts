import { isIPv6 } from 'node:net';
import type { Context } from 'koa';

/**
 * Who a request counts against for rate limits and the fair share: its API key when keys are set
 * (`api-keys.ts` puts a prefix of the key's digest in `ctx.state.clientKey`), else its address:
 * the peer's, or as far back in X-Forwarded-For as TRUST_PROXY_HOPS allows (Koa's `ctx.ip`).
 * An IPv6 address counts by its /64, which one host commonly gets whole and could walk through.
 */
export function clientOf(ctx: Context): string {
  const key = ctx.state.clientKey as string | undefined;
  if (key) return key;
  const ip = ctx.ip || ctx.req.socket.remoteAddress || 'unknown';
  if (ip.startsWith('::ffff:')) return `ip:${ip.slice(7)}`;
  return isIPv6(ip) ? `ip6:${ipv6Prefix64(ip)}` : `ip:${ip}`;
}

/** The first four groups of an IPv6 address, `::` expanded. */
function ipv6Prefix64(ip: string): string {
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return groups.slice(0, 4).map((group) => group.toLowerCase().replace(/^0+(?=.)/, '')).join(':');
}
