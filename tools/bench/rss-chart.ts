import type { RssSample } from './rss-sampler.js';

export interface ChartSeries {
  label: string;
  color: string;
  samples: RssSample[];
}

export interface ChartPanel {
  title: string;
  series: ChartSeries[];
  /** Horizontal lines: the memory limit and the mode thresholds. */
  lines: { label: string; mb: number; color: string }[];
}

const WIDTH = 900;
const PANEL_HEIGHT = 260;
const MARGIN = { left: 60, right: 170, top: 34, bottom: 36 };
/** Points per series: enough for the eye, keeping each bucket's highest reading so no peak is lost. */
const MAX_POINTS = 600;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function downsample(samples: RssSample[]): RssSample[] {
  if (samples.length <= MAX_POINTS) return samples;
  const span = samples[samples.length - 1]!.t - samples[0]!.t;
  const buckets = new Map<number, RssSample>();
  for (const s of samples) {
    const key = Math.min(MAX_POINTS - 1, Math.floor(((s.t - samples[0]!.t) / span) * MAX_POINTS));
    const kept = buckets.get(key);
    if (!kept || s.mb > kept.mb) buckets.set(key, s);
  }
  return [...buckets.values()].sort((a, b) => a.t - b.t);
}

/** A tick step of 1, 2 or 5 times a power of ten giving about `count` ticks. */
function niceStep(range: number, count: number): number {
  const raw = range / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? raw;
}

function panel(spec: ChartPanel, top: number): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const all = spec.series.flatMap((s) => s.samples);
  const maxT = Math.max(1, ...all.map((s) => s.t));
  const maxMb = Math.max(...all.map((s) => s.mb), ...spec.lines.map((l) => l.mb)) * 1.08;
  const x = (t: number) => MARGIN.left + (t / maxT) * plotW;
  const y = (mb: number) => top + MARGIN.top + plotH - (mb / maxMb) * plotH;
  const out: string[] = [`<text x="${MARGIN.left}" y="${top + 20}" font-size="15" font-weight="bold">${escape(spec.title)}</text>`];
  const mbStep = niceStep(maxMb, 5);
  for (let mb = 0; mb <= maxMb; mb += mbStep) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(mb).toFixed(1)}" y2="${y(mb).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${(y(mb) + 4).toFixed(1)}" font-size="11" text-anchor="end">${mb}</text>`);
  }
  const tStep = niceStep(maxT, 8);
  for (let t = 0; t <= maxT; t += tStep) {
    out.push(`<text x="${x(t).toFixed(1)}" y="${top + PANEL_HEIGHT - MARGIN.bottom + 16}" font-size="11" text-anchor="middle">${t}</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${top + PANEL_HEIGHT - 4}" font-size="11" text-anchor="middle">seconds</text>`);
  out.push(`<text x="14" y="${top + MARGIN.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${top + MARGIN.top + plotH / 2})" text-anchor="middle">RSS, MB</text>`);
  out.push(`<rect x="${MARGIN.left}" y="${top + MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (const line of spec.lines) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(line.mb).toFixed(1)}" y2="${y(line.mb).toFixed(1)}" stroke="${line.color}" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${MARGIN.left + plotW + 6}" y="${(y(line.mb) + 4).toFixed(1)}" font-size="11" fill="${line.color}">${escape(line.label)}</text>`);
  }
  spec.series.forEach((series, i) => {
    const points = downsample(series.samples).map((s) => `${x(s.t).toFixed(1)},${y(s.mb).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${series.color}" stroke-width="1.6"/>`);
    const ly = top + MARGIN.top + 14 + i * 16;
    out.push(`<line x1="${MARGIN.left + 10}" x2="${MARGIN.left + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${series.color}" stroke-width="3"/>`);
    out.push(`<text x="${MARGIN.left + 34}" y="${ly}" font-size="12">${escape(series.label)}</text>`);
  });
  return out.join('\n');
}

/** RSS over time as an SVG, one panel per run, with the limit and mode thresholds drawn in. */
export function rssChart(panels: ChartPanel[], caption: string): string {
  const height = panels.length * PANEL_HEIGHT + 30;
  const body = panels.map((p, i) => panel(p, i * PANEL_HEIGHT)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${body}
<text x="${MARGIN.left}" y="${height - 10}" font-size="11" fill="#555">${escape(caption)}</text>
</svg>
`;
}
