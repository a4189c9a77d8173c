// The figures as Markdown tables (printed as they are, and written into docs/PERFORMANCE.md) and a
// chart from a declarative Vega-Lite spec, rendered to SVG in Node.
import type { Ratio, Results, ScenarioSummary } from './summary';

const thousands = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

function table(header: string[], rows: string[][]): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

/** The processes that did the work, most first: "inventory 430 · redis 60" (µs per request). */
const cpuText = (s: ScenarioSummary) =>
  Object.entries(s.cpu)
    .filter(([, value]) => value.percent >= 3)
    .sort((a, b) => b[1].microsecondsPerRequest - a[1].microsecondsPerRequest)
    .map(([name, value]) => `${name} ${Math.round(value.microsecondsPerRequest)}`)
    .join(' · ');

/** Each ratio's median over the rounds (the ratio within each round), against its target if it has one. */
const ratioTable = (ratios: Ratio[]) =>
  table(
    ['Ratio', 'median', 'each round', 'target', 'met'],
    ratios
      .filter((r) => r.perRound.length)
      .map((r) => [
        r.title,
        `${r.median.toFixed(2)}x`,
        r.perRound.map((v) => v.toFixed(2)).join(', '),
        r.minimum ? `≥ ${r.minimum.toFixed(2)}x` : '',
        r.minimum ? (r.median >= r.minimum ? 'yes' : '**no**') : '',
      ]),
  );

export function markdownReport(results: Results, chartFile: string): string {
  const { meta } = results;
  const out = [
    `Run of ${meta.date} (${meta.mode}) at commit \`${meta.commit}\`: ${meta.machine}; ${meta.run}; ` +
      `${meta.load}; ${meta.seconds} s in all.`,
    `![Throughput per scenario](${chartFile})`,
    '#### Scenarios',
    table(
      ['Scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU µs/req', 'other work %'],
      results.scenarios.map((s) => [
        s.title,
        thousands(s.requestsPerSecond),
        ms(s.p50Ms),
        ms(s.p99Ms),
        String(s.errors),
        cpuText(s),
        String(Math.round(s.otherWorkPercent)),
      ]),
    ),
    'Medians over the rounds, errors summed. CPU: user + system time of each process over the run, per ' +
      `request ("load generator" is autocannon, or undici for a run at a set rate, in the bench's own ` +
      'process). Other work: CPU the rest of the machine used meanwhile, in % of one core. A run at half ' +
      'a rate sends its requests evenly spaced and times each from the moment it was due.',
    '#### Throughput ratios, round by round, and targets',
    ratioTable(results.ratios),
    '#### Other targets',
    table(
      ['Target', 'wanted', 'measured', 'met'],
      results.targets.map((t) => [t.title, t.wanted, t.measured, t.met ? 'yes' : '**no**']),
    ),
  ];
  const peaks = new Map<string, { mb: number; scenario: string }>();
  for (const s of results.scenarios) {
    for (const [name, mb] of Object.entries(s.rssMb)) {
      if (mb > (peaks.get(name)?.mb ?? 0)) peaks.set(name, { mb, scenario: s.title });
    }
  }
  if (peaks.size) {
    out.push(
      '#### Resident memory per process under load',
      table(
        ['Process', 'peak RSS, MB', 'in'],
        [...peaks].map(([name, peak]) => [name, peak.mb.toFixed(0), peak.scenario]),
      ),
    );
  }

  out.push(
    '#### Redis memory per cart (MEMORY USAGE)',
    table(
      ['Cart', 'storefront hash', "article's JSON string"],
      results.memory.map((m) => [
        `${m.lines} line(s)`,
        `${m.storefrontBytes} B (${m.storefrontEncoding})`,
        `${m.articleBytes} B`,
      ]),
    ),
  );
  return `${out.join('\n\n')}\n`;
}

/** Throughput per scenario, baselines and the storefront's own in two colours. */
export async function chartSvg(results: Results): Promise<string> {
  // ES modules with top-level await: Node 20 loads them by import() only.
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const spec = {
    width: 480,
    title: `Requests per second, median of the rounds (${results.meta.mode} run, ${results.meta.date.slice(0, 10)})`,
    data: {
      values: results.scenarios.map((s) => ({
        scenario: s.title,
        group: s.group,
        rate: Math.round(s.requestsPerSecond),
      })),
    },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'scenario', type: 'nominal', sort: null, title: null, axis: { labelLimit: 420 } },
      x: { field: 'rate', type: 'quantitative', title: 'req/s' },
      color: { field: 'group', type: 'nominal', title: null },
    },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
