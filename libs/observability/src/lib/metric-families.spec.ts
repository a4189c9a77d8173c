import { parseMetrics } from '@storefront/test-kit';
import { CounterFamily, HistogramFamily, SeriesIndex } from './metric-families';

describe('HistogramFamily', () => {
  const family = () => new HistogramFamily('demo_seconds', 'A demo.', ['route'], [0.1, 1]);

  it('renders cumulative buckets, +Inf, sum and count per series', () => {
    const histogram = family();
    const series = histogram.series(['/a']);
    for (const value of [0.05, 0.1, 0.5, 3]) histogram.observe(series, value);
    const metrics = parseMetrics(histogram.render());
    expect(metrics.value('demo_seconds_bucket', { route: '/a', le: '0.1' })).toBe(2); // a bound is inclusive
    expect(metrics.value('demo_seconds_bucket', { route: '/a', le: '1' })).toBe(3);
    expect(metrics.value('demo_seconds_bucket', { route: '/a', le: '+Inf' })).toBe(4);
    expect(metrics.value('demo_seconds_count', { route: '/a' })).toBe(4);
    expect(metrics.value('demo_seconds_sum', { route: '/a' })).toBeCloseTo(3.65);
    expect(histogram.render()).toMatch(/^# HELP demo_seconds A demo\.\n# TYPE demo_seconds histogram\n/);
  });

  it('escapes label values as the text format asks', () => {
    const histogram = family();
    histogram.observe(histogram.series(['a "quoted"\\ \nvalue']), 0.2);
    expect(histogram.render()).toContain('demo_seconds_count{route="a \\"quoted\\"\\\\ \\nvalue"} 1');
    expect(parseMetrics(histogram.render()).value('demo_seconds_count', { route: 'a "quoted"\\ \nvalue' })).toBe(1);
  });

  it('refuses buckets that do not increase, and a wrong number of label values', () => {
    expect(() => new HistogramFamily('x', 'x', [], [1, 1])).toThrow(TypeError);
    expect(() => family().series(['a', 'b'])).toThrow(/expected 1 label values/);
  });
});

describe('CounterFamily', () => {
  it('renders each series, unlabelled ones without braces', () => {
    const labelled = new CounterFamily('demo_total', 'Demo.', ['outcome']);
    labelled.series(['ok']).value += 3;
    expect(labelled.render()).toBe('# HELP demo_total Demo.\n# TYPE demo_total counter\ndemo_total{outcome="ok"} 3');
    const plain = new CounterFamily('plain_total', 'Plain.', []);
    plain.series([]).value++;
    expect(plain.render()).toContain('\nplain_total 1');
  });
});

describe('SeriesIndex', () => {
  it('gives the same series for the same label values, and creates each combination once', () => {
    const created: string[][] = [];
    const index = new SeriesIndex((values) => {
      created.push(values);
      return { values };
    });
    expect(index.get3('GET', '/a', 200)).toBe(index.get3('GET', '/a', 200));
    expect(index.get3('GET', '/a', 404)).not.toBe(index.get3('GET', '/a', 200));
    expect(index.get2('x', 'y')).toBe(index.get2('x', 'y'));
    expect(index.get1('z')).toBe(index.get1('z'));
    expect(created).toEqual([['GET', '/a', '200'], ['GET', '/a', '404'], ['x', 'y'], ['z']]);
  });
});
