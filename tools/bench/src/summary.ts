// From the runs of every round to the figures that are reported: medians per scenario, ratios taken
// round by round (each pair measured seconds apart, in the same state of the machine) and their
// medians, the performance targets (docs/PERFORMANCE.md), and the exact checks that decide the exit code.
import type { CartMemory } from './memory';
import type { ProfileSummary } from './profile';
import type { RedisBenchmarkReport } from './redis-benchmark';
import { meetsTarget, type ProbeResult } from './round-trips';
import type { ScenarioRun } from './runs';
import type { LostUpdates, Scenario } from './scenarios';
import type { TopologyFigure } from './topologies';

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface ScenarioSummary {
  id: string;
  title: string;
  group: Scenario['group'];
  rounds: number;
  requestsPerSecond: number;
  requestsPerSecondPerRound: number[];
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Summed over rounds. */
  requests: number;
  errors: number;
  roundTripsPerRequest: number;
  bytesToRedisPerRequest: number;
  bytesFromRedisPerRequest: number;
  cpu: Record<string, { percent: number; microsecondsPerRequest: number }>;
  /** CPU used by other work on the machine meanwhile, percent of one core (median). */
  otherWorkPercent: number;
  /** Little's law concurrency over the connection count: near 1 when the latencies hold. */
  littleRatio: number;
  lostUpdates?: LostUpdates[];
}

export interface Ratio {
  id: string;
  title: string;
  numerator: string;
  denominator: string;
  perRound: number[];
  median: number;
}

export interface Target {
  id: string;
  title: string;
  wanted: string;
  measured: string;
  met: boolean;
  /** By how much it is missed, when it is. */
  shortfall?: string;
}

export interface Check {
  id: string;
  title: string;
  passed: boolean;
  detail: string;
}

export interface Summary {
  scenarios: ScenarioSummary[];
  ratios: Ratio[];
  targets: Target[];
  checks: Check[];
}

export function summarizeScenarios(scenarios: Scenario[], runs: ScenarioRun[], connections: number): ScenarioSummary[] {
  return scenarios.map((scenario) => {
    const own = runs.filter((run) => run.scenario === scenario.id);
    const processNames = [...new Set(own.flatMap((run) => Object.keys(run.cpu)))];
    const cpu: ScenarioSummary['cpu'] = {};
    for (const name of processNames) {
      cpu[name] = {
        percent: median(own.map((run) => run.cpu[name]?.percent ?? 0)),
        microsecondsPerRequest: median(own.map((run) => run.cpu[name]?.microsecondsPerRequest ?? 0)),
      };
    }
    const lost = own.flatMap((run) => (run.lostUpdates ? [run.lostUpdates] : []));
    return {
      id: scenario.id,
      title: scenario.title,
      group: scenario.group,
      rounds: own.length,
      requestsPerSecond: median(own.map((run) => run.load.requestsPerSecond)),
      requestsPerSecondPerRound: own.map((run) => run.load.requestsPerSecond),
      p50Ms: median(own.map((run) => run.load.latencyMs.p50)),
      p99Ms: median(own.map((run) => run.load.latencyMs.p99)),
      meanMs: median(own.map((run) => run.load.latencyMs.mean)),
      requests: own.reduce((sum, run) => sum + run.load.requests, 0),
      errors: own.reduce((sum, run) => sum + run.errors, 0),
      roundTripsPerRequest: median(own.map((run) => run.roundTripsPerRequest)),
      bytesToRedisPerRequest: median(own.map((run) => run.bytesToRedisPerRequest)),
      bytesFromRedisPerRequest: median(own.map((run) => run.bytesFromRedisPerRequest)),
      cpu,
      otherWorkPercent: median(own.map((run) => run.otherWorkPercent)),
      littleRatio: median(own.map((run) => run.littleConcurrency / connections)),
      lostUpdates: lost.length ? lost : undefined,
    };
  });
}

export type RatioDefinition = Omit<Ratio, 'perRound' | 'median'>;

const RATIOS: RatioDefinition[] = [
  {
    id: 'inventory-vs-bare',
    title: 'Inventory add / bare Express route',
    numerator: 'inventory-add',
    denominator: 'express-bare',
  },
  {
    id: 'inventory-vs-article',
    title: "Inventory add / article's approach add",
    numerator: 'inventory-add',
    denominator: 'article-add',
  },
  {
    id: 'gateway-vs-inventory',
    title: 'Gateway add / inventory add',
    numerator: 'gateway-add',
    denominator: 'inventory-add',
  },
  {
    id: 'inventory-vs-article-shell',
    title: "Inventory add / the article's approach in the same service shell",
    numerator: 'inventory-add',
    denominator: 'article-shell-add',
  },
  {
    id: 'hot-inventory-vs-article',
    title: "Hot shopper: inventory / article's approach",
    numerator: 'inventory-hot',
    denominator: 'article-hot',
  },
];

export function ratiosOf(runs: ScenarioRun[], definitions = RATIOS): Ratio[] {
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

const fixed = (value: number, digits = 2) => value.toFixed(digits);
const percent = (value: number) => `${Math.round(value * 100)}%`;

function ratioTarget(ratio: Ratio | undefined, title: string, minimum: number): Target {
  if (!ratio || ratio.perRound.length === 0) {
    return { id: ratio?.id ?? title, title, wanted: `≥ ${fixed(minimum)}x`, measured: 'not measured', met: false };
  }
  const value = ratio.median;
  const met = value >= minimum;
  return {
    id: ratio.id,
    title,
    wanted: `≥ ${fixed(minimum)}x`,
    measured: `${fixed(value)}x (rounds: ${ratio.perRound.map((r) => fixed(r)).join(', ')})`,
    met,
    shortfall: met ? undefined : `${fixed(minimum - value)}x short (${percent(1 - value / minimum)} below the target)`,
  };
}

export function evaluate(
  scenarioSummaries: ScenarioSummary[],
  ratios: Ratio[],
  probes: ProbeResult[],
  memory: CartMemory[],
): { targets: Target[]; checks: Check[] } {
  const ratio = (id: string) => ratios.find((r) => r.id === id);
  const scenario = (id: string) => scenarioSummaries.find((s) => s.id === id);
  const lost = (id: string) => scenario(id)?.lostUpdates ?? [];
  const ours = lost('inventory-hot');
  const article = lost('article-hot');
  const oursLost = ours.reduce((sum, run) => sum + run.lost, 0);
  const oursExpected = ours.reduce((sum, run) => sum + run.expected, 0);
  const articleLost = article.reduce((sum, run) => sum + run.lost, 0);
  const articleExpected = article.reduce((sum, run) => sum + run.expected, 0);
  const probe = (id: string) => probes.find((p) => p.id === id);
  const probeText = (p: ProbeResult | undefined) =>
    p
      ? `${fixed(p.perRequest, 3)} per request (${p.roundTrips} over ${p.requests}${p.unexpectedAnswers ? `, ${p.unexpectedAnswers} unexpected answers` : ''})`
      : 'not measured';
  const tenLines = memory.find((m) => m.lines === 10);

  const roundTripTarget = (id: string, title: string): Target => {
    const p = probe(id);
    const met = p ? meetsTarget(p) : false;
    return {
      id: `round-trips-${id}`,
      title,
      wanted: p?.target ? `${p.target.kind} ${p.target.value}` : '',
      measured: probeText(p),
      met,
      shortfall:
        met || !p ? undefined : `${fixed(p.perRequest - (p.target?.value ?? 0), 3)} round trips per request over`,
    };
  };

  const targets: Target[] = [
    ratioTarget(ratio('inventory-vs-bare'), 'Inventory add-to-cart vs the bare Express 5 route', 0.8),
    ratioTarget(ratio('inventory-vs-article'), "Inventory add-to-cart vs the article's approach", 1.2),
    ratioTarget(ratio('gateway-vs-inventory'), 'Add-to-cart through the gateway vs straight to inventory', 0.6),
    {
      id: 'lost-updates',
      title: "Lost updates, one hot shopper: ours 0, the article's approach loses most",
      wanted: "0 for ours; over half for the article's",
      measured: `ours ${oursLost} of ${oursExpected}; article's ${articleLost} of ${articleExpected} (${articleExpected ? percent(articleLost / articleExpected) : 'n/a'})`,
      met: oursExpected > 0 && oursLost === 0 && articleExpected > 0 && articleLost > articleExpected / 2,
    },
    roundTripTarget('inventory-add', 'Redis round trips per add'),
    roundTripTarget('inventory-set', 'Redis round trips per quantity change'),
    roundTripTarget('inventory-remove', 'Redis round trips per line removal'),
    roundTripTarget('inventory-read', 'Redis round trips per cart read'),
    roundTripTarget('gateway-checkout', 'Redis round trips per checkout (through the gateway)'),
    {
      id: 'memory-10-lines',
      title: "Redis memory of a 10-line cart vs the article's JSON string",
      wanted: "≤ the article's",
      measured: tenLines
        ? `${tenLines.storefrontBytes} B (${tenLines.storefrontEncoding}) vs ${tenLines.articleBytes} B`
        : 'not measured',
      met: tenLines ? tenLines.storefrontBytes <= tenLines.articleBytes : false,
      shortfall:
        tenLines && tenLines.storefrontBytes > tenLines.articleBytes
          ? `${tenLines.storefrontBytes - tenLines.articleBytes} B more`
          : undefined,
    },
  ];

  // The exit code rests on these alone: counts, not timings, so they hold on a noisy machine.
  const checks: Check[] = [
    // Present whenever the hot-shopper scenario ran (always, unless --only left it out).
    ...(scenario('inventory-hot')
      ? [
          {
            id: 'lost-updates',
            title: 'No lost updates for one hot shopper (inventory)',
            // Every acknowledged add is in Redis, and nothing beyond what was sent.
            passed:
              oursExpected > 0 &&
              oursLost === 0 &&
              ours.every((run) => run.appliedUnacknowledged <= run.unacknowledged),
            detail: ours
              .map(
                (run) =>
                  `${run.expected} added, ${run.stored} stored${run.appliedUnacknowledged ? ` (${run.appliedUnacknowledged} of ${run.unacknowledged} failed requests applied anyway)` : ''}`,
              )
              .join('; '),
          },
        ]
      : []),
    ...['inventory-add', 'inventory-set', 'inventory-remove', 'inventory-read', 'gateway-checkout'].map((id) => {
      const p = probe(id);
      return {
        id: `round-trips-${id}`,
        title: `Round trips: ${p?.title ?? id} ${p?.target ? `${p.target.kind} ${p.target.value}` : ''}`.trim(),
        passed: p ? meetsTarget(p) : false,
        detail: probeText(p),
      };
    }),
  ];
  return { targets, checks };
}

export interface Meta {
  date: string;
  mode: 'full' | 'quick';
  commit: string;
  node: string;
  redis: string;
  cpu: string;
  cores: number;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  rounds: number;
  otherRounds: number;
  secondsPerRun: number;
  connections: number;
  shoppers: number;
  runtimeSeconds: number;
}

export interface Results {
  meta: Meta;
  summary: Summary;
  runs: ScenarioRun[];
  roundTrips: ProbeResult[];
  memory: CartMemory[];
  redisBenchmark: RedisBenchmarkReport;
  profiles: ProfileSummary[];
  /** Add to cart on a Cluster and on Sentinel, with and without WAIT, next to one node (absent in older runs). */
  topologies?: TopologyFigure[];
}
