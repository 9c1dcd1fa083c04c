/** Latency against concurrency as an SVG: one panel per endpoint, both axes logarithmic. */

export interface LatencySeries {
  label: string;
  color: string;
  dashed?: boolean;
  /** [clients, latency ms] */
  points: [number, number][];
}

export interface LatencyPanel {
  title: string;
  series: LatencySeries[];
}

const WIDTH = 900;
const PANEL_HEIGHT = 300;
const MARGIN = { left: 70, right: 210, top: 34, bottom: 40 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Powers of ten times 1, 2 and 5 between `min` and `max`. */
function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let power = Math.floor(Math.log10(min)); power <= Math.ceil(Math.log10(max)); power++) {
    for (const m of [1, 2, 5]) {
      const value = m * 10 ** power;
      if (value >= min && value <= max) ticks.push(value);
    }
  }
  return ticks;
}

function panel(spec: LatencyPanel, top: number, clients: number[]): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const values = spec.series.flatMap((s) => s.points.map(([, ms]) => ms)).filter((ms) => ms > 0);
  const minMs = 10 ** Math.floor(Math.log10(Math.max(0.5, Math.min(...values))));
  const maxMs = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const minC = Math.min(...clients);
  const maxC = Math.max(...clients);
  const x = (c: number) => MARGIN.left + (Math.log(c / minC) / Math.log(maxC / minC || 2)) * plotW;
  const y = (ms: number) => top + MARGIN.top + plotH - (Math.log(Math.max(ms, minMs) / minMs) / Math.log(maxMs / minMs)) * plotH;
  const out = [`<text x="${MARGIN.left}" y="${top + 20}" font-size="15" font-weight="bold">${escape(spec.title)}</text>`];
  for (const ms of logTicks(minMs, maxMs)) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(ms).toFixed(1)}" y2="${y(ms).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${(y(ms) + 4).toFixed(1)}" font-size="11" text-anchor="end">${ms}</text>`);
  }
  for (const c of clients) {
    out.push(`<line x1="${x(c).toFixed(1)}" x2="${x(c).toFixed(1)}" y1="${top + MARGIN.top}" y2="${top + MARGIN.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${x(c).toFixed(1)}" y="${top + PANEL_HEIGHT - MARGIN.bottom + 16}" font-size="11" text-anchor="middle">${c}</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${top + PANEL_HEIGHT - 6}" font-size="11" text-anchor="middle">concurrent clients</text>`);
  out.push(`<text x="16" y="${top + MARGIN.top + plotH / 2}" font-size="11" transform="rotate(-90 16 ${top + MARGIN.top + plotH / 2})" text-anchor="middle">latency, ms (log)</text>`);
  out.push(`<rect x="${MARGIN.left}" y="${top + MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  spec.series.forEach((series, i) => {
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    const points = series.points.map(([c, ms]) => `${x(c).toFixed(1)},${y(ms).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`);
    for (const [c, ms] of series.points) out.push(`<circle cx="${x(c).toFixed(1)}" cy="${y(ms).toFixed(1)}" r="3" fill="${series.color}"/>`);
    const ly = top + MARGIN.top + 14 + i * 18;
    out.push(`<line x1="${MARGIN.left + plotW + 12}" x2="${MARGIN.left + plotW + 34}" y1="${ly - 4}" y2="${ly - 4}" stroke="${series.color}" stroke-width="3"${dash}/>`);
    out.push(`<text x="${MARGIN.left + plotW + 40}" y="${ly}" font-size="12">${escape(series.label)}</text>`);
  });
  return out.join('\n');
}

/** The chart, one panel per endpoint, `clients` on the x axis. */
export function latencyChart(panels: LatencyPanel[], clients: number[], caption: string): string {
  const height = panels.length * PANEL_HEIGHT + 30;
  const body = panels.map((p, i) => panel(p, i * PANEL_HEIGHT, clients)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${body}
<text x="${MARGIN.left}" y="${height - 10}" font-size="11" fill="#555">${escape(caption)}</text>
</svg>
`;
}
