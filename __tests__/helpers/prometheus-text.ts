/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests. prom-client
 * writes the format but ships no reader of it, so a scrape is checked here line by line against the
 * format's grammar, and the tests compare the result with prom-client's own `getMetricsAsJSON()`.
 * Any line that breaks the grammar throws, naming its number.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<MetricFamily['type'], string[]> = { counter: [''], gauge: [''], untyped: [''], histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

/** The families of a scrape by name, in order of appearance. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the exposition must end with a newline');
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line.slice(0, 80))})`;
    if (line === '') return;
    if (line.startsWith('#')) return readComment(line, families, where);
    const sample = readSample(line, where);
    const family = familyOf(sample.name, families);
    if (!family) throw new Error(`${where}: a sample without a # TYPE line for its family`);
    family.samples.push(sample);
  });
  for (const family of families.values()) checkHistogram(family);
  return families;
}

function readComment(line: string, families: Map<string, MetricFamily>, where: string): void {
  const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
  if (!match) return;
  const [, keyword, name = '', rest = ''] = match;
  if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
  const family = families.get(name) ?? { name, type: 'untyped' as const, help: '', samples: [] };
  if (family.samples.length) throw new Error(`${where}: ${keyword} after the family's samples`);
  if (keyword === 'HELP') family.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
  else if (TYPES.has(rest)) family.type = rest as MetricFamily['type'];
  else throw new Error(`${where}: unknown type`);
  families.set(name, family);
}

function readSample(line: string, where: string): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
  if (!match) throw new Error(`${where}: not a sample line`);
  const [, name = '', labelText, valueText = ''] = match;
  return { name, labels: labelText ? readLabels(labelText.slice(1, -1), where) : {}, value: readValue(valueText, where) };
}

function readLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const match = /^([^=]+)="((?:[^"\\]|\\["\\n])*)"(,|$)/.exec(rest);
    if (!match) throw new Error(`${where}: bad label list`);
    const [whole, name = '', value = ''] = match;
    if (!LABEL_NAME.test(name) || name in labels) throw new Error(`${where}: bad or repeated label name ${name}`);
    labels[name] = value.replace(/\\(["\\n])/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
    rest = rest.slice(whole.length);
  }
  return labels;
}

function readValue(text: string, where: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  // Prometheus reads floats with Go's ParseFloat, which takes NaN in any case; prom-client writes `Nan`.
  if (/^nan$/i.test(text)) return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`${where}: bad value`);
  return value;
}

/** The family a sample belongs to: its own name, or its name less a suffix its type allows. */
function familyOf(name: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  for (const family of families.values()) {
    if (SUFFIXES[family.type].some((suffix) => family.name + suffix === name)) return family;
  }
  return undefined;
}

/** Every histogram series has increasing `le` buckets ending at +Inf, whose count equals `_count`. */
function checkHistogram(family: MetricFamily): void {
  if (family.type !== 'histogram') return;
  const series = new Map<string, { buckets: Sample[]; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(rest);
    const entry = series.get(key) ?? { buckets: [] };
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      entry.buckets.push(sample);
    } else if (sample.name.endsWith('_count')) entry.count = sample.value;
    series.set(key, entry);
  }
  for (const [key, { buckets, count }] of series) {
    const bounds = buckets.map((bucket) => readValue(bucket.labels.le!, `${family.name}${key}`));
    if (bounds.at(-1) !== Infinity) throw new Error(`${family.name}${key}: the last bucket is not +Inf`);
    if (bounds.some((bound, i) => i > 0 && bound <= bounds[i - 1]!)) throw new Error(`${family.name}${key}: buckets out of order`);
    if (buckets.some((bucket, i) => i > 0 && bucket.value < buckets[i - 1]!.value)) throw new Error(`${family.name}${key}: bucket counts decrease`);
    if (buckets.at(-1)!.value !== count) throw new Error(`${family.name}${key}: the +Inf bucket differs from _count`);
  }
}
