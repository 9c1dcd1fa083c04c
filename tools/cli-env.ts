/**
 * What every command-line tool reads the same way: the model flags with the environment's
 * defaults (the variables the server reads), numbers from flags, and the error for bad input.
 */
import path from 'node:path';
import { FLOOR_VARIABLES } from '../answer/defaults.js';
import type { RelevanceFloors } from '../answer/relevance.js';
import { DEFAULT_EMBEDDING_CONFIG } from '../workers/model-config.js';

/**
 * The benchmarks' model when none is named: all-MiniLM-L6-v2's shape and cost with random
 * weights, from the workplace's offline models (relative to the working directory).
 */
export const BENCH_MODEL = { model: 'Synthetic/random-minilm-l6', modelDir: '../shared/models' } as const;

/** Bad arguments; the CLIs print the message and exit with their usage code. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'USAGE';
}

/** The model flags as `parseArgs` returns them; a tool without one of them passes nothing for it. */
export interface ModelFlags {
  model?: string | undefined;
  'model-dir'?: string | undefined;
  'allow-remote'?: boolean | undefined;
}

export interface ModelSettings {
  /** `--model`, else `EMBEDDING_MODEL`; undefined leaves the choice to the tool. */
  model: string | undefined;
  /** `--model-dir`, else `MODEL_DIR`, else `defaultModelDir`, resolved against the working directory. */
  modelDir: string;
  /** `--allow-remote`, else `ALLOW_REMOTE_MODELS=true`. */
  allowRemote: boolean;
}

/** Each model flag, else the variable the server reads for it. */
export function modelSettings(flags: ModelFlags, env: NodeJS.ProcessEnv, defaultModelDir: string = DEFAULT_EMBEDDING_CONFIG.modelDir): ModelSettings {
  return {
    model: flags.model ?? env.EMBEDDING_MODEL,
    modelDir: path.resolve(flags['model-dir'] ?? env.MODEL_DIR ?? defaultModelDir),
    allowRemote: flags['allow-remote'] ?? env.ALLOW_REMOTE_MODELS === 'true',
  };
}

/** A flag's value as a number from 0 to 1 (undefined when the flag was not given). Throws UsageError naming the flag. */
export function fraction(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${flag} must be a number from 0 to 1, got "${value}"`);
  return n;
}

/**
 * The abstention floors set in the environment (`ABSTAIN_*`), checked against the same ranges as
 * the server's; as in the service, they outrank the floors an index measured at build time.
 */
export function floorsFromEnv(env: NodeJS.ProcessEnv): Partial<RelevanceFloors> {
  const floors: Partial<RelevanceFloors> = {};
  for (const [field, [name, min, max]] of Object.entries(FLOOR_VARIABLES) as [keyof RelevanceFloors, readonly [string, number, number]][]) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} must be a number from ${min} to ${max}, got "${value}"`);
    floors[field] = n;
  }
  return floors;
}
