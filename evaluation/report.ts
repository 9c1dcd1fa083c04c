/** The evaluation report as Markdown: one table with the modes side by side, and the worst questions. */
import type { RetrievalMode } from '../workers/protocol.js';
import type { EvalReport, ModeSummary, QuestionResult } from './evaluate.js';
import { isAnswerableResult } from './mode-summary.js';

const ratio = (n: number | null) => (n === null ? '—' : n.toFixed(3));
const ms = (n: number) => `${n.toFixed(1)} ms`;

/** Rows of the table: a label and how to read the figure from one mode's summary. */
const ROWS: [string, (s: ModeSummary) => string][] = [
  ['Recall@1', (s) => ratio(s.recallAt1)],
  ['Recall@5', (s) => ratio(s.recallAt5)],
  ['MRR@10', (s) => ratio(s.mrrAt10)],
  ['nDCG@10', (s) => ratio(s.ndcgAt10)],
  ['Off-topic abstained (abstention recall)', (s) => `${ratio(s.abstention.recall)} (${s.abstention.offTopicAbstained}/${s.abstention.offTopic})`],
  ['Answerable abstained (false abstention)', (s) => `${ratio(s.abstention.falseAbstentionRate)} (${s.abstention.answerableAbstained}/${s.abstention.answerable})`],
  ['Abstention precision', (s) => ratio(s.abstention.precision)],
  ['Cited passages relevant', (s) => `${ratio(s.citations.relevantShare)} (of ${s.citations.cited})`],
  ['Answers citing a relevant passage', (s) => `${ratio(s.citations.answersCitingRelevant)} (of ${s.citations.answers})`],
  ['Cited passages holding the evidence', (s) => `${ratio(s.citations.evidenceShare)} (of ${s.citations.citedWithEvidenceLabel})`],
  ['Extractive answers quoting the evidence', (s) => `${ratio(s.citations.answersQuotingEvidence)} (of ${s.citations.answersWithEvidenceLabel})`],
  ['Search latency, mean', (s) => ms(s.latency.meanMs)],
  ['Search latency, p95', (s) => ms(s.latency.p95Ms)],
];

const NEAR_MISS_ROW: [string, (s: ModeSummary) => string] = ['Near-miss abstained', (s) => (s.nearMiss ? `${ratio(s.nearMiss.share)} (${s.nearMiss.abstained}/${s.nearMiss.questions})` : '—')];

/** Rows that only sets with near-misses or styled questions have, so other sets print as before. */
function extraRows(modes: ModeSummary[]): { after: string; rows: [string, (s: ModeSummary) => string][] }[] {
  const styles = [...new Map(modes.flatMap((m) => m.byStyle ?? []).map((s) => [s.style, s.questions])).entries()];
  const styleRows = styles.map(([style, questions]): [string, (s: ModeSummary) => string] => [
    `Recall@5, style ${style} (${questions})`,
    (s) => ratio(s.byStyle?.find((b) => b.style === style)?.recallAt5 ?? null),
  ]);
  return [
    { after: 'Recall@5', rows: styleRows },
    { after: 'Abstention precision', rows: modes.some((m) => m.nearMiss) ? [NEAR_MISS_ROW] : [] },
  ];
}

/** The figures of every mode, side by side: one column per mode. */
export function formatTable(report: EvalReport): string {
  const modes = report.modes;
  const lines = [`| | ${modes.map((m) => m.mode).join(' | ')} |`, `| --- |${modes.map(() => ' ---: |').join('')}`];
  const extras = extraRows(modes);
  for (const [label, read] of ROWS) {
    lines.push(`| ${label} | ${modes.map(read).join(' | ')} |`);
    for (const [extraLabel, extraRead] of extras.find((e) => e.after === label)?.rows ?? []) lines.push(`| ${extraLabel} | ${modes.map(extraRead).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** What was evaluated, in one line, then how the questions' wording meets the documents'. */
export function formatHeader(report: EvalReport): string {
  const { index, counts, settings, wordOverlap } = report;
  const nearMiss = counts.nearMiss ? `, ${counts.nearMiss} near-miss` : '';
  return (
    `Index ${index.dir} (${index.generation}), ${index.chunks} chunks, model ${index.model ?? 'none (lexical only)'}; ` +
    `${counts.answerable} answerable questions (${counts.withEvidence} with evidence), ${counts.offTopic} off-topic${nearMiss}; ` +
    `abstention and citations over the top ${settings.topK} passages.\n` +
    `Word overlap with the relevant chunk: median ${ratio(wordOverlap.median)}, mean ${ratio(wordOverlap.mean)} (${wordOverlap.measured} questions); ` +
    `questions using only words the corpus has: ${ratio(wordOverlap.vocabularyCoverage)}.`
  );
}

/** Notes a reader must see next to the table: skipped modes and labels that match nothing. */
export function formatNotices(report: EvalReport): string[] {
  const byReason = new Map<string, string[]>();
  for (const { mode, reason } of report.skippedModes) byReason.set(reason, [...(byReason.get(reason) ?? []), mode]);
  const notices = [...byReason].map(([reason, modes]) => `${modes.join(' and ')} not evaluated, keyword search only: ${reason}`);
  if (report.unmatchedLabels.length) {
    const listed = report.unmatchedLabels.slice(0, 10).map((l) => `${l.id} (${l.source} › "${l.heading}")`).join(', ');
    notices.push(`${report.unmatchedLabels.length} label(s) match no chunk of the index, so count as misses: ${listed}${report.unmatchedLabels.length > 10 ? ', …' : ''}`);
  }
  return notices;
}

/** Hybrid's ranking when it ran, else the first mode's: the service searches hybrid. */
function primaryMode(report: EvalReport): RetrievalMode | undefined {
  return report.modes.find((m) => m.mode === 'hybrid')?.mode ?? report.modes[0]?.mode;
}

/**
 * The answerable questions retrieval served worst: by the first relevant rank in the primary mode
 * (none found is worst), then by the reciprocal ranks summed over all modes.
 */
export function worstQuestions(report: EvalReport, count: number): QuestionResult[] {
  const primary = primaryMode(report);
  if (!primary) return [];
  const rank = (q: QuestionResult) => q.modes[primary]?.firstRelevantRank ?? Number.POSITIVE_INFINITY;
  const rrSum = (q: QuestionResult) => Object.values(q.modes).reduce((sum, m) => sum + (m.firstRelevantRank ? 1 / m.firstRelevantRank : 0), 0);
  return report.questions
    .filter(isAnswerableResult)
    .sort((a, b) => rank(b) - rank(a) || rrSum(a) - rrSum(b))
    .slice(0, count);
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

function worstTable(report: EvalReport, count: number): string {
  const primary = primaryMode(report)!;
  const modes = report.modes.map((m) => m.mode);
  const lines = [
    `| id | question | label (source › heading) | ${modes.map((m) => `${m} rank`).join(' | ')} | ${primary} top hit |`,
    `| --- | --- | --- |${modes.map(() => ' ---: |').join('')} --- |`,
  ];
  for (const q of worstQuestions(report, count)) {
    const ranks = modes.map((m) => String(q.modes[m]?.firstRelevantRank ?? '—'));
    const top = q.modes[primary]?.topHit;
    const topCell = top ? [top.source, ...top.headings].join(' › ') : '—';
    lines.push(`| ${q.id} | ${cell(q.question)} | ${cell(`${q.source} › ${q.heading || '(before the first heading)'}`)} | ${ranks.join(' | ')} | ${cell(topCell)} |`);
  }
  return lines.join('\n');
}

/** The whole Markdown report: header, the table, notices, and the worst ten questions. */
export function formatMarkdown(report: EvalReport, worst = 10): string {
  const parts = ['# Retrieval evaluation', formatHeader(report), formatTable(report)];
  const notices = formatNotices(report);
  if (notices.length) parts.push(notices.map((n) => `- ${n}`).join('\n'));
  if (report.modes.length) parts.push(`## Worst ${worst} questions\n\nRank of the first relevant chunk in the top ${report.settings.cutoff} (— none).\n\n${worstTable(report, worst)}`);
  return `${parts.join('\n\n')}\n`;
}
