/** Memory drift over a long run of questions: does RSS creep up while the server works? */
import { percentile } from '../../evaluation/metrics.js';
import { runLoad } from './load-clients.js';
import { round, summarize, type LoadSummary } from './load-summary.js';
import { ask, startTarget, stopTarget, type Design } from './memory-target.js';
import type { RunSettings } from './memory-runs.js';
import type { RssSample, RssSampler } from './rss-sampler.js';

const DRIFT_SPANS = 20;

/** The drift estimate of one run, from its RSS samples. */
export interface DriftFigures {
  /**
   * The run cut into 20 equal spans, each reduced to its median RSS; early is the median of spans
   * 3 to 10 (after warm-up), late of spans 11 to 20. Each worker life settles at its own level
   * (most near one figure, a few 15 to 25 MB higher, at random), so one high life in a window
   * must not pass for creep, while a level that keeps rising still moves the median.
   */
  earlyMb: number;
  lateMb: number;
  driftPercent: number;
  /** The first estimator (session 3): median RSS from 10% to 35% of the run against its last quarter. Kept for comparison. */
  windowDriftPercent: number;
  spanMedianMb: number[];
}

export interface DriftRun extends DriftFigures {
  label: string;
  design: Design;
  recycling: boolean;
  questions: number;
  peakMb: number;
  recycles: number | null;
  load: LoadSummary;
  exitCode: number | null;
  samples: RssSample[];
}

/** Both estimators over the samples taken from `from` to `to` (sampler clock, ms). */
export function driftFigures(sampler: RssSampler, from: number, to: number): DriftFigures {
  const span = to - from;
  const spans = Array.from({ length: DRIFT_SPANS }, (_, i) => sampler.median(from + (span * i) / DRIFT_SPANS, from + (span * (i + 1)) / DRIFT_SPANS));
  const earlyMb = percentile(spans.slice(2, DRIFT_SPANS / 2), 50);
  const lateMb = percentile(spans.slice(DRIFT_SPANS / 2), 50);
  const windowEarly = sampler.median(from + span * 0.1, from + span * 0.35);
  const windowLate = sampler.median(to - span * 0.25, to);
  return {
    earlyMb: round(earlyMb), lateMb: round(lateMb), driftPercent: round(((lateMb - earlyMb) / earlyMb) * 100),
    windowDriftPercent: round(((windowLate - windowEarly) / windowEarly) * 100), spanMedianMb: spans.map((mb) => round(mb)),
  };
}

/** `driftQuestions` questions from `clients` clients, with worker recycling on or (as good as) off. */
export async function driftRun(settings: RunSettings, label: string, design: Design, recycling: boolean): Promise<DriftRun> {
  // "Recycling on" keeps the frequent recycles this run was first measured with (the default is now 20,000 tasks).
  const target = await startTarget(settings, design, recycling ? { WORKER_MAX_TASKS: '1000', WORKER_MAX_TASKS_JITTER: '100' } : { WORKER_MAX_TASKS: '1000000000', WORKER_RECYCLE_RSS_MB: '65536' });
  await ask(target.server.url, settings.questions[0]!);
  const from = target.sampler.now;
  const load = await runLoad({ url: target.server.url, clients: settings.clients, questions: settings.questions, total: settings.driftQuestions });
  const to = target.sampler.now;
  const memory = (await (await fetch(`${target.server.url}/api/memory`)).json()) as { worker?: { recycles?: number } };
  const exitCode = await stopTarget(target);
  const { earlyMb, lateMb, driftPercent, windowDriftPercent, spanMedianMb } = driftFigures(target.sampler, from, to);
  return {
    label, design, recycling, questions: settings.driftQuestions, earlyMb, lateMb, driftPercent, windowDriftPercent, spanMedianMb,
    peakMb: round(target.sampler.peak(from, to)), recycles: design === 'ours' ? memory.worker?.recycles ?? null : null,
    load: summarize(load), exitCode, samples: target.sampler.samples,
  };
}
