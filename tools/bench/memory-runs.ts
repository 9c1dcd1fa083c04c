/** The memory benchmark's load and recycle-pause runs, each against a fresh server. */
import { percentile } from '../../evaluation/metrics.js';
import { runLoad, type LoadResult } from './load-clients.js';
import { round, summarize, type LoadSummary } from './load-summary.js';
import { ask, sleep, startTarget, stopTarget, type Design, type TargetSettings } from './memory-target.js';
import type { RssSample } from './rss-sampler.js';

/** What the runs share: the servers' settings, the traffic and how much of it. */
export interface RunSettings extends TargetSettings {
  questions: string[];
  clients: number;
  seconds: number;
  driftQuestions: number;
  pauseEvery: number;
  pauseRequests: number;
}

export interface LoadRun {
  design: Design;
  llm: boolean;
  startupMb: number;
  firstAnswerMs: number;
  firstAnswerMb: number;
  peakMb: number;
  endMb: number;
  load: LoadSummary;
  modesEntered: string[];
  /** `/api/memory` at the end, for ours: mode changes, recycles by reason, the model admission. */
  final: { transitions?: number; recyclesByReason?: Record<string, number>; model?: string; modelAdmission?: unknown } | null;
  exitCode: number | null;
  samples: RssSample[];
}

export interface LowLimitRun extends LoadRun {
  limitMb: number;
}

export interface PauseRun {
  recycleEvery: number;
  requests: number;
  recycles: number;
  /** Latency of requests that ran on a fresh worker, minus the median of the others. */
  pauseP50Ms: number;
  pauseP99Ms: number;
  pauseMaxMs: number;
  normalP50Ms: number;
  failed: number;
}

type Memory = { governor?: { transitions?: number }; worker?: { recyclesByReason?: Record<string, number>; model?: string }; modelAdmission?: unknown };

/** Modes seen by polling `/api/memory`, in answers, or in sheds: polling alone misses a mode held for under a second. */
function modesSeen(polled: Set<string>, load: LoadResult): string[] {
  const seen = new Set([...polled, ...Object.keys(load.memoryModes), ...(load.shedByCode.MEMORY_DEGRADED ? ['degraded'] : [])]);
  return ['normal', 'cautious', 'degraded'].filter((mode) => seen.has(mode));
}

/** Start, settle, one first answer, then `clients` concurrent clients for `seconds`. */
export async function loadRun(settings: RunSettings, design: Design, llmUrl: string | null, env: Record<string, string> = {}): Promise<LoadRun> {
  const target = await startTarget(settings, design, { ...(llmUrl ? { LLM_BASE_URL: llmUrl, LLM_MODEL: 'fake-model' } : {}), ...env });
  await sleep(1000);
  const startupMb = await target.sampler.sample();
  const first = await ask(target.server.url, settings.questions[0]!);
  if (first.status !== 200) throw new Error(`${design}: first answer failed with ${first.status}`);
  await sleep(300);
  const firstAnswerMb = await target.sampler.sample();
  const load = await runLoad({ url: target.server.url, clients: settings.clients, questions: settings.questions, durationMs: settings.seconds * 1000 });
  const endMb = await target.sampler.sample();
  // A server that died under load must not cost the figures already measured: its exit code says so.
  const memory = design === 'ours' ? await fetch(`${target.server.url}/api/memory`).then((res) => res.json() as Promise<Memory>, () => null) : null;
  const final = memory ? { transitions: memory.governor?.transitions, recyclesByReason: memory.worker?.recyclesByReason, model: memory.worker?.model, modelAdmission: memory.modelAdmission } : null;
  const exitCode = await stopTarget(target);
  return {
    design, llm: Boolean(llmUrl), startupMb: round(startupMb), firstAnswerMs: round(first.ms), firstAnswerMb: round(firstAnswerMb),
    peakMb: round(target.sampler.peak()), endMb: round(endMb), load: summarize(load), modesEntered: modesSeen(target.modes, load), final, exitCode, samples: target.sampler.samples,
  };
}

/** Sequential questions with a recycle every `pauseEvery` tasks; `/api/memory` says which ran on a fresh worker. */
export async function pauseRun(settings: RunSettings): Promise<PauseRun> {
  const { questions, pauseEvery, pauseRequests } = settings;
  const target = await startTarget(settings, 'ours', { WORKER_MAX_TASKS: String(pauseEvery), WORKER_MAX_TASKS_JITTER: '0' });
  await ask(target.server.url, questions[0]!);
  const fresh: number[] = [];
  const normal: number[] = [];
  let failed = 0;
  for (let i = 1; i <= pauseRequests; i++) {
    const answer = await ask(target.server.url, questions[i % questions.length]!);
    if (answer.status !== 200) failed++;
    const memory = (await (await fetch(`${target.server.url}/api/memory`)).json()) as { worker: { tasksSinceRecycle: number } };
    (memory.worker.tasksSinceRecycle === 1 ? fresh : normal).push(answer.ms);
  }
  await stopTarget(target);
  const base = percentile(normal, 50);
  const pauses = fresh.map((ms) => ms - base).sort((a, b) => a - b);
  return {
    recycleEvery: pauseEvery, requests: pauseRequests, recycles: fresh.length, pauseP50Ms: round(percentile(pauses, 50)),
    pauseP99Ms: round(percentile(pauses, 99)), pauseMaxMs: round(pauses[pauses.length - 1] ?? Number.NaN), normalP50Ms: round(base), failed,
  };
}
