// Counters and histograms for the request path, in the Prometheus text format. prom-client's own
// classes hash their label values into a string on every observation (about 1.2 µs and a few
// allocations for a three-label histogram, measured here); these hand each caller a series it keeps,
// so an observation is a bucket search and three additions. prom-client still serves the rest (the
// process metrics, gauges read at scrape time): see registry.ts.

/** One combination of label values of a counter. */
export interface CounterSeries {
  value: number;
}

/** One combination of label values of a histogram. Bucket counts are kept per bucket, summed on render. */
export interface HistogramSeries {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface Labelled<S> {
  labels: string;
  series: S;
}

// Label values are escaped as the text format asks: backslash, double quote and line feed.
const escapeLabelValue = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (help: string) => help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function labelText(names: readonly string[], values: readonly string[]): string {
  if (names.length !== values.length) {
    throw new TypeError(`@storefront/observability: expected ${names.length} label values, got ${values.length}`);
  }
  return names.map((name, i) => `${name}="${escapeLabelValue(values[i])}"`).join(',');
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

abstract class Family<S> {
  protected readonly all: Labelled<S>[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!METRIC_NAME.test(name)) throw new TypeError(`@storefront/observability: bad metric name ${name}`);
  }

  /** A new series for these label values; call once per combination and keep it. */
  series(labelValues: readonly string[]): S {
    const series = this.create();
    this.all.push({ labels: labelText(this.labelNames, labelValues), series });
    return series;
  }

  protected abstract create(): S;
  protected abstract lines(labels: string, series: S): string[];
  protected abstract readonly type: string;

  render(): string {
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, series } of this.all) out.push(...this.lines(labels, series));
    return out.join('\n');
  }
}

export class CounterFamily extends Family<CounterSeries> {
  protected readonly type = 'counter';

  protected create(): CounterSeries {
    return { value: 0 };
  }

  protected lines(labels: string, series: CounterSeries): string[] {
    return [`${this.name}${labels ? `{${labels}}` : ''} ${series.value}`];
  }
}

export class HistogramFamily extends Family<HistogramSeries> {
  protected readonly type = 'histogram';
  private readonly bounds: Float64Array;

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    if (buckets.length === 0 || buckets.some((bound, i) => i > 0 && bound <= buckets[i - 1])) {
      throw new TypeError(`@storefront/observability: ${name} buckets must be increasing`);
    }
    this.bounds = Float64Array.from(buckets);
  }

  protected create(): HistogramSeries {
    // One more than the bounds: the +Inf bucket.
    return { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
  }

  /** Records one observation (in the family's unit) into `series`. */
  observe(series: HistogramSeries, value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    series.counts[i]++;
    series.sum += value;
    series.count++;
  }

  protected lines(labels: string, series: HistogramSeries): string[] {
    const sep = labels ? ',' : '';
    const out: string[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += series.counts[i];
      out.push(`${this.name}_bucket{${labels}${sep}le="${this.bounds[i]}"} ${cumulative}`);
    }
    out.push(`${this.name}_bucket{${labels}${sep}le="+Inf"} ${series.count}`);
    const braces = labels ? `{${labels}}` : '';
    out.push(`${this.name}_sum${braces} ${series.sum}`, `${this.name}_count${braces} ${series.count}`);
    return out;
  }
}

/**
 * Series looked up by their label values through nested maps, so that no key string is built per
 * observation; the first lookup of a combination creates its series. Written out per number of
 * labels: a rest parameter would allocate an array on every lookup.
 */
export class SeriesIndex<S> {
  private readonly root = new Map<string | number, unknown>();

  constructor(private readonly create: (labelValues: string[]) => S) {}

  private child(level: Map<string | number, unknown>, key: string | number): Map<string | number, unknown> {
    let next = level.get(key) as Map<string | number, unknown> | undefined;
    if (next === undefined) level.set(key, (next = new Map()));
    return next;
  }

  private add(level: Map<string | number, unknown>, key: string | number, labelValues: string[]): S {
    const series = this.create(labelValues);
    level.set(key, series);
    return series;
  }

  get1(a: string): S {
    return (this.root.get(a) as S | undefined) ?? this.add(this.root, a, [a]);
  }

  get2(a: string, b: string): S {
    const level = this.child(this.root, a);
    return (level.get(b) as S | undefined) ?? this.add(level, b, [a, b]);
  }

  get3(a: string, b: string, c: string | number): S {
    const level = this.child(this.child(this.root, a), b);
    return (level.get(c) as S | undefined) ?? this.add(level, c, [a, b, String(c)]);
  }
}
