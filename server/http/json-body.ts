import type { Context } from 'koa';

/**
 * Answer with `value` as JSON: the bytes and Content-Type of `ctx.body = value`, set as a string.
 * Koa's body setter tests an object against the fetch globals (`instanceof ReadableStream`, `Blob`,
 * `Response`), and Node 20 defines `Response` lazily: its first read loads all of undici and compiles
 * undici's HTTP parser to WebAssembly, +10.5 MB of RSS (measured), in a server that may never fetch.
 * A string body skips those tests. Koa sends a string as it would have sent the object: the same
 * bytes, Content-Type and Content-Length, on GET and HEAD alike.
 */
export function sendJson(ctx: Context, value: unknown): void {
  ctx.type = 'json';
  ctx.body = JSON.stringify(value);
}
