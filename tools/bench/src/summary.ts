// From the runs of every round to the figures that are reported: medians per scenario, ratios taken
// round by round (each pair measured seconds apart, in the same state of the machine) and their
// medians, and the performance targets (docs/PERFORMANCE.md), met or not: reported, never an exit code.
import type { CartMemory } from './memory';
import type { ScenarioRun } from './runs';
import type { Scenario } from './scenarios';

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export type ScenarioSummary = ReturnType<typeof summarizeScenarios>[number];

export interface Ratio {
  id: string;
  title: string;
  numerator: string;
  denominator: string;
  /** The target: at least this (docs/PERFORMANCE.md). */
  minimum?: number;
  perRound: number[];
  median: number;
}

/** A target other than a throughput ratio. */
export interface Target {
  title: string;
  wanted: string;
  measured: string;
  met: boolean;
}

/** Medians over the rounds per scenario; errors and lost updates summed. */
export function summarizeScenarios(scenarios: Scenario[], runs: ScenarioRun[]) {
  return scenarios.map(({ id, title, group }) => {
    const own = runs.filter((run) => run.scenario === id);
    const names = (key: 'cpu' | 'rssMb') => [...new Set(own.flatMap((run) => Object.keys(run[key])))];
    const of = (value: (run: ScenarioRun) => number) => median(own.map(value));
    const cpu = Object.fromEntries(
      names('cpu').map((name) => [
        name,
        {
          percent: of((run) => run.cpu[name]?.percent ?? 0),
          microsecondsPerRequest: of((run) => run.cpu[name]?.microsecondsPerRequest ?? 0),
        },
      ]),
    );
    const lost = own.flatMap((run) => (run.lostUpdates ? [run.lostUpdates] : []));
    const acknowledged = lost.reduce((sum, run) => sum + run.acknowledged, 0);
    return {
      id,
      title,
      group,
      rounds: own.length,
      requestsPerSecond: of((run) => run.load.requestsPerSecond),
      p50Ms: of((run) => run.load.latencyMs.p50),
      p99Ms: of((run) => run.load.latencyMs.p99),
      errors: own.reduce((sum, run) => sum + run.errors, 0),
      cpu,
      rssMb: Object.fromEntries(names('rssMb').map((name) => [name, of((run) => run.rssMb[name] ?? 0)])),
      otherWorkPercent: of((run) => run.otherWorkPercent),
      lostUpdates: lost.length
        ? {
            acknowledged,
            lost: acknowledged - lost.reduce((sum, run) => sum + Math.min(run.stored, run.acknowledged), 0),
          }
        : undefined,
      soak: own.find((run) => run.soak)?.soak,
    };
  });
}

export type RatioDefinition = Omit<Ratio, 'perRound' | 'median'>;

export const RATIOS: RatioDefinition[] = (
  [
    ['inventory-vs-bare', 'Inventory add / bare Express 5 route', 'inventory-add', 'express-bare', 0.8],
    ['inventory-vs-article', "Inventory add / the article's approach", 'inventory-add', 'article-add', 1.2],
    ['gateway-vs-inventory', 'Add through the gateway / straight to inventory', 'gateway-add', 'inventory-add', 0.7],
    ['gateway-vs-bare', 'Add through the gateway / bare Express 5 route', 'gateway-add', 'express-bare', 0.45],
    [
      'inventory-vs-article-shell',
      "Inventory add / the article's approach in the same service shell",
      'inventory-add',
      'article-shell-add',
    ],
    ['hot-inventory-vs-article', "Hot shopper: inventory / the article's approach", 'inventory-hot', 'article-hot'],
  ] as const
).map(([id, title, numerator, denominator, minimum]) => ({ id, title, numerator, denominator, minimum }));

export function ratiosOf(runs: ScenarioRun[], definitions: RatioDefinition[]): Ratio[] {
  const rounds = [...new Set(runs.map((run) => run.round))];
  const rate = (scenario: string, round: number) =>
    runs.find((run) => run.scenario === scenario && run.round === round)?.load.requestsPerSecond;
  return definitions.map((ratio) => {
    const perRound = rounds.flatMap((round) => {
      const top = rate(ratio.numerator, round);
      const bottom = rate(ratio.denominator, round);
      return top !== undefined && bottom ? [top / bottom] : [];
    });
    return { ...ratio, perRound, median: median(perRound) };
  });
}

export function targetsOf(scenarios: ScenarioSummary[], memory: CartMemory[]): Target[] {
  const lost = (id: string) => scenarios.find((s) => s.id === id)?.lostUpdates;
  const [ours, article] = [lost('inventory-hot'), lost('article-hot')];
  const lostText = (l?: { lost: number; acknowledged: number }) => (l ? `${l.lost} of ${l.acknowledged}` : '—');
  const ten = memory.find((m) => m.lines === 10);
  const scenario = (id: string) => scenarios.find((s) => s.id === id);
  const cpuTarget = (process: string, id: string, title: string): Target => {
    const us = scenario(id)?.cpu[process]?.microsecondsPerRequest;
    return { title, wanted: '≤ 300 µs', measured: us ? `${Math.round(us)} µs` : '—', met: !!us && us <= 300 };
  };
  const halfRate = scenario('gateway-add-half-rate');
  const soak = Object.entries(scenario('gateway-add-soak')?.soak ?? {}).filter(([name]) =>
    ['gateway', 'inventory'].includes(name),
  );
  return [
    cpuTarget('gateway', 'gateway-add', 'Gateway CPU per add through the gateway'),
    cpuTarget('inventory', 'inventory-add', 'Inventory CPU per add straight to it'),
    {
      title: 'p99 latency of adds through the gateway at half its highest rate (evenly paced)',
      wanted: '≤ 15 ms',
      measured: halfRate?.rounds ? `${halfRate.p99Ms.toFixed(1)} ms` : '—',
      met: !!halfRate && halfRate.rounds > 0 && halfRate.p99Ms <= 15,
    },
    {
      title: 'Resident memory growth in the soak, after it settled',
      wanted: '≤ 20 MB per process',
      measured: soak.length
        ? soak.map(([name, m]) => `${name} ${m.settledMb.toFixed(0)} → max ${m.peakAfterMb.toFixed(0)} MB`).join('; ')
        : '—',
      met: soak.length === 2 && soak.every(([, m]) => m.peakAfterMb - m.settledMb <= 20),
    },
    {
      title: "Lost updates, one hot shopper: ours 0, the article's approach loses most",
      wanted: "0 for ours; over half for the article's",
      measured: `ours ${lostText(ours)}; the article's ${lostText(article)}`,
      met: !!ours && !!article && ours.acknowledged > 0 && ours.lost === 0 && article.lost > article.acknowledged / 2,
    },
    {
      title: "Redis memory of a 10-line cart vs the article's JSON string",
      wanted: "≤ the article's",
      measured: ten ? `${ten.storefrontBytes} B (${ten.storefrontEncoding}) vs ${ten.articleBytes} B` : '—',
      met: !!ten && ten.storefrontBytes <= ten.articleBytes,
    },
  ];
}

export interface Results {
  meta: Record<'date' | 'commit' | 'machine' | 'load' | 'mode' | 'run', string> & { seconds: number };
  scenarios: ScenarioSummary[];
  ratios: Ratio[];
  targets: Target[];
  memory: CartMemory[];
  runs: ScenarioRun[];
}
