#!/usr/bin/env node
/** `npm run build:index [-- --lexical-fallback]`: a thin edge over `buildIndex()`, configured by the environment. */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatSummary } from './prebuild-cli.js';
import { buildIndex, buildSettings, ModelUnavailableError } from './build-index.js';
import { UsageError } from './cli-env.js';

export const BUILD_INDEX_USAGE = `Usage: npm run build:index [-- --lexical-fallback]

Fetches the embedding model into MODEL_DIR (default ./models) unless it is there, then builds
DOCS_DIR (default ./documents) into INDEX_DIR (default ./data/index); with no documents there,
the bundled sample (SAMPLE_CORPUS_DIR). Does nothing when the index is current.

  --lexical-fallback   without the model, build keyword-only instead of failing (as ALLOW_LEXICAL_FALLBACK=true);
                       npm start passes it, the deploy builds do not`;

/** Exit codes: 1 the build failed, 2 bad settings, 4 no model (and keyword-only not accepted). */
export const EXIT_NO_MODEL = 4;

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let settings;
  try {
    const { values } = parseArgs({ args: argv, options: { 'lexical-fallback': { type: 'boolean' }, help: { type: 'boolean' } }, strict: true });
    if (values.help) throw new UsageError(BUILD_INDEX_USAGE);
    settings = buildSettings(env, process.cwd(), values['lexical-fallback'] ? { lexicalFallback: true } : {});
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  try {
    const report = await buildIndex(settings, {
      info: (message) => process.stdout.write(`build:index: ${message}\n`),
      warn: (message) => process.stderr.write(`build:index: warning: ${message}\n`),
    });
    if (report.prebuild) process.stdout.write(`${formatSummary(report.prebuild)}\n`);
    if (report.retrieval) process.stdout.write(`build:index: retrieval ${report.retrieval === 'hybrid' ? 'hybrid (semantic + keyword)' : 'KEYWORD ONLY (no embedding model)'}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`build:index failed: ${(error as Error).message}\n`);
    if (error instanceof ModelUnavailableError) return EXIT_NO_MODEL;
    return error instanceof UsageError ? 2 : 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
