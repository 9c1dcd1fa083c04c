/** The corpus curve of `npm run bench:scale` as an SVG: RSS and /api/search latency against the number of chunks. */

export interface CurvePoint {
  chunks: number;
  idleMb: number;
  loadPeakMb: number;
  p50: number;
  p99: number;
}

const WIDTH = 900;
const PANEL = 280;
const MARGIN = { left: 64, right: 180, top: 36, bottom: 40 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One panel: series over chunks (log scale, as the sizes grow fivefold), with a target line. */
function panel(title: string, unit: string, points: CurvePoint[], series: { label: string; color: string; value: (p: CurvePoint) => number }[], target: { label: string; value: number }, top: number): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL - MARGIN.top - MARGIN.bottom;
  const xs = points.map((p) => Math.log10(p.chunks));
  const minX = Math.min(...xs) - 0.1;
  const maxX = Math.max(...xs) + 0.1;
  const maxY = Math.max(target.value, ...points.flatMap((p) => series.map((s) => s.value(p)))) * 1.12;
  const x = (chunks: number) => MARGIN.left + ((Math.log10(chunks) - minX) / (maxX - minX)) * plotW;
  const y = (v: number) => top + MARGIN.top + plotH - (v / maxY) * plotH;
  const out = [`<text x="${MARGIN.left}" y="${top + 22}" font-size="15" font-weight="bold">${escape(title)}</text>`];
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250].map((m) => m * 10 ** Math.floor(Math.log10(maxY / 5) - 1)).find((s) => maxY / s <= 6) ?? maxY / 5;
  for (let v = 0; v <= maxY; v += step) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${round(v)}</text>`);
  }
  out.push(`<text x="14" y="${top + MARGIN.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${top + MARGIN.top + plotH / 2})" text-anchor="middle">${escape(unit)}</text>`);
  for (const p of points) {
    out.push(`<text x="${x(p.chunks).toFixed(1)}" y="${top + PANEL - 14}" font-size="11" text-anchor="middle">${p.chunks.toLocaleString('en-US')}</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${top + PANEL - 1}" font-size="11" text-anchor="middle">chunks (log scale)</text>`);
  out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(target.value).toFixed(1)}" y2="${y(target.value).toFixed(1)}" stroke="#c00" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${MARGIN.left + plotW + 8}" y="${(y(target.value) + 4).toFixed(1)}" font-size="11" fill="#c00">${escape(target.label)}</text>`);
  series.forEach((s, i) => {
    const path = points.map((p, k) => `${k ? 'L' : 'M'}${x(p.chunks).toFixed(1)},${y(s.value(p)).toFixed(1)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const p of points) {
      out.push(`<circle cx="${x(p.chunks).toFixed(1)}" cy="${y(s.value(p)).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
      out.push(`<text x="${(x(p.chunks) + 6).toFixed(1)}" y="${(y(s.value(p)) - 6).toFixed(1)}" font-size="10" fill="${s.color}">${round(s.value(p))}</text>`);
    }
    out.push(`<text x="${MARGIN.left + plotW + 8}" y="${top + MARGIN.top + 44 + i * 16}" font-size="12" fill="${s.color}">${escape(s.label)}</text>`);
  });
  return out.join('\n');
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Two panels: process RSS (idle, peak under load) against 512 MB; p50/p99 against 250 ms. */
export function scaleChart(points: CurvePoint[], caption: string): string {
  const height = 2 * PANEL + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel('Instance RSS (MB) by corpus size', 'MB', points, [
      { label: 'idle, model + index loaded', color: '#2a6fdb', value: (p) => p.idleMb },
      { label: 'peak, 30 clients', color: '#e08a00', value: (p) => p.loadPeakMb },
    ], { label: '512 MB', value: 512 }, 0),
    panel('/api/search latency (ms), 30 clients', 'ms', points, [
      { label: 'p50', color: '#2a9d4b', value: (p) => p.p50 },
      { label: 'p99', color: '#8e44ad', value: (p) => p.p99 },
    ], { label: 'p99 target 250 ms', value: 250 }, PANEL),
    `<text x="${MARGIN.left}" y="${height - 8}" font-size="11" fill="#555">${escape(caption)}</text>`,
    '</svg>',
  ].join('\n');
}
