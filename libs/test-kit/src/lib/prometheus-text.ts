// Reads samples out of a Prometheus text exposition, so a test can say how far a metric moved.

export type Labels = Record<string, string>;

export interface MetricsSnapshot {
  /** The raw exposition. */
  text: string;
  /** The value of the sample `name` with exactly these labels; 0 when there is no such sample. */
  value(name: string, labels?: Labels): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function keyOf(name: string, labels: Labels): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((label) => `${label}=${labels[label]}`);
  return `${name}{${sorted.join(',')}}`;
}

export function parseMetrics(text: string): MetricsSnapshot {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match || line.startsWith('#')) continue;
    const labels: Labels = {};
    for (const [, label, value] of (match[2] ?? '').matchAll(LABEL)) {
      labels[label] = value.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.set(keyOf(match[1], labels), Number(match[3]));
  }
  return { text, value: (name, labels = {}) => samples.get(keyOf(name, labels)) ?? 0 };
}

/** GET <url> (a /metrics endpoint) and parse it; throws unless it answers 200 in the text format. */
export async function scrapeMetrics(url: string): Promise<MetricsSnapshot> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200 || !res.headers.get('content-type')?.startsWith('text/plain')) {
    throw new Error(`${url} answered ${res.status} ${res.headers.get('content-type')}: ${text.slice(0, 200)}`);
  }
  return parseMetrics(text);
}
