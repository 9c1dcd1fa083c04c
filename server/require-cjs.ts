import { createRequire } from 'node:module';

/**
 * `require`, for the CommonJS packages the server loads at boot (koa, @koa/router, @koa/cors,
 * pino). An ESM `import` of a CommonJS module makes Node scan the module's source for its named
 * exports (cjs-module-lexer, in JavaScript); at boot the scan ran hot enough for V8 to optimize it
 * (about 250 ms of optimizing compile), and what that compile allocated stayed in malloc's heap:
 * about 2 MB of startup RSS, measured (README "Memory"). `require` loads the same module, unscanned.
 * Types come from `import type` beside each call, so they are the ones an `import` would give.
 */
export const requireCjs = createRequire(import.meta.url);
