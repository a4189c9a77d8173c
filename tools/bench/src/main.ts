// `npm run bench [-- --quick]`: the storefront's benchmark. Starts its own redis-server, the built
// services and the baselines as processes, runs every scenario once per round with the rounds
// interleaved, measures Redis memory per cart, prints the tables and writes results.json, results.md
// and chart.svg to dist/tools/bench/<mode>; a full run of everything also writes the chart to docs/perf
// and the tables into docs/PERFORMANCE.md. Timings only: what is exact (round trips per operation,
// lost updates) is checked by the test suite.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { createCartCache } from '@storefront/cart-cache';
import { createIdentityHandoff } from '@storefront/service-kit';
import { findOnPath, startNodeService, startRedisProcess, workspaceRoot, type NodeService } from '@storefront/test-kit';
import type { BenchContext } from './context';
import { parseSettings, type Settings } from './settings';
import { measureCartMemory } from './memory';
import { chartSvg, markdownReport } from './report';
import { runScenario, type ScenarioRun } from './runs';
import { scenarios } from './scenarios';
import { RATIOS, ratiosOf, summarizeScenarios, targetsOf, type Results } from './summary';
import { TOPOLOGY_IDS, startTopologies, type TopologyVariant } from './topologies';

const ROOT = workspaceRoot();
const PREFIX = 'storefront:';
const [GENERATED_START, GENERATED_END] = ['<!-- bench:generated:start -->', '<!-- bench:generated:end -->'];
const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const load = () => loadavg().map((v) => Math.round(v * 100) / 100);
/** The items of a round, rotated by one per round so that none always runs first or last. */
const rotated = <T>(items: T[], by: number) => [
  ...items.slice(by % items.length),
  ...items.slice(0, by % items.length),
];

async function measure(settings: Settings): Promise<Results> {
  const startedAt = performance.now();
  const loadBefore = load();
  const logDir = join(settings.outDir, 'logs');
  rmSync(logDir, { recursive: true, force: true }); // this run's logs only
  mkdirSync(logDir, { recursive: true });
  const redisBinary = findOnPath('redis-server');
  if (!redisBinary) throw new Error('redis-server is not on PATH (Debian/Ubuntu: apt-get install redis-server)');
  const redis = await startRedisProcess(redisBinary);
  const secret = randomBytes(32).toString('base64url');
  // As in production (NODE_ENV, LOG_LEVEL=info: a JSON line per request, to a file), with two bench
  // settings: no rate limit, and a quantity limit high enough for one hot shopper's thousands of adds.
  const storefrontEnv: Record<string, string> = {
    NODE_ENV: 'production',
    GATEWAY_SECRET: secret,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: PREFIX,
    LOG_LEVEL: 'info',
    CART_MAX_QUANTITY: '1000000',
    RATE_LIMIT_PER_MINUTE: '0',
  };
  const started: NodeService[] = [];
  // Every process is recorded as soon as it is up, so that a failure (or Ctrl-C) later stops it too.
  const start = async (name: string, script: string, env: Record<string, string>) => {
    if (!existsSync(script)) throw new Error(`${relative(ROOT, script)} is missing: \`npm run bench\` builds it`);
    const logFile = join(logDir, `${name}.log`);
    // Started as the image starts them: no --enable-source-maps (it costs on every logged stack).
    const service = await startNodeService({ name, script, env, logFile });
    started.push(service);
    return service;
  };
  const app = (name: string) => join(settings.appsDir, name, 'main.js');
  const baseline = (name: string) => join(__dirname, 'baselines', `${name}.js`);
  const control = new Redis(redis.url, { connectionName: 'bench-control' });
  const seedRedis = new Redis(redis.url, { connectionName: 'bench-seed', enableAutoPipelining: true });
  const stops: Array<() => Promise<unknown>> = [() => redis.stop()];
  const stopEverything = async () => {
    control.disconnect();
    seedRedis.disconnect();
    await Promise.all(started.map((service) => service.stop()));
    await Promise.all(stops.map((stop) => stop()));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stopEverything().finally(() => process.exit(130)));
  }
  try {
    const [inventory, checkout, bare, article, articleShell] = await Promise.all([
      start('inventory', app('inventory'), storefrontEnv),
      start('checkout', app('checkout'), storefrontEnv),
      start('bare', baseline('bare-express'), { NODE_ENV: 'production' }),
      start('article', baseline('article-cart'), { NODE_ENV: 'production', REDIS_URL: redis.url }),
      start('article-shell', baseline('article-cart-in-shell'), storefrontEnv),
    ]);
    const upstreams = { INVENTORY_URL: inventory.url, CHECKOUT_URL: checkout.url };
    const gateway = await start('gateway', app('gateway'), { ...storefrontEnv, ...upstreams });
    const services = { inventory, checkout, gateway, bare, article, articleShell };
    const ctx: BenchContext = {
      settings,
      services,
      processes: () => [
        ...Object.values(services).map(({ name, pid }) => ({ name, pid })),
        { name: 'redis', pid: redis.pid() ?? 0 },
        { name: 'load generator', pid: process.pid },
      ],
      control,
      carts: createCartCache({ redis: seedRedis, secret, prefix: PREFIX, limits: { maxQuantity: 1e6, maxLines: 50 } }),
      handoff: createIdentityHandoff(secret),
    };

    const all = scenarios();
    const oneNode = all.find((s) => s.id === 'inventory-add')!;
    const topologyIds = TOPOLOGY_IDS.filter((id) => !settings.only || settings.only.includes(id));
    let variants: TopologyVariant[] = [];
    if (topologyIds.length) {
      console.log('bench: a Redis Cluster and a Sentinel set, an inventory on each');
      const topologies = await startTopologies(topologyIds, oneNode, storefrontEnv, (name, env) =>
        start(name, app('inventory'), env),
      );
      stops.push(topologies.stop);
      variants = topologies.variants;
    }
    const list = all.filter(
      (s) => !settings.only || settings.only.includes(s.id) || (s === oneNode && variants.length),
    );
    // The topology variants take turns with the add-to-cart comparison, each with its own inventory.
    const comparison = [
      ...list.filter((s) => s.comparison).map((scenario) => ({ scenario, context: ctx })),
      ...variants.map((variant) => ({ scenario: variant.scenario, context: variant.context(ctx) })),
    ];
    const others = list.filter((s) => !s.comparison).map((scenario) => ({ scenario, context: ctx }));
    const runs: ScenarioRun[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      const rest = round <= settings.otherRounds ? rotated(others, round - 1) : [];
      for (const { scenario, context } of [...rotated(comparison, round - 1), ...rest]) {
        const full = runs.find((run) => run.scenario === scenario.halfRateOf && run.round === round);
        if ((scenario.halfRateOf && !full?.load.requestsPerSecond) || (scenario.soak && round > 1)) continue;
        const run = await runScenario(context, scenario, round, full && full.load.requestsPerSecond / 2);
        runs.push(run);
        const { requestsPerSecond, latencyMs } = run.load;
        const lost = run.lostUpdates ? `, lost ${run.lostUpdates.acknowledged - run.lostUpdates.stored}` : '';
        console.log(
          `  round ${round}/${settings.rounds} ${scenario.id.padEnd(28)} ${Math.round(requestsPerSecond)} req/s, p50 ` +
            `${latencyMs.p50.toFixed(1)} ms, p99 ${latencyMs.p99.toFixed(1)} ms, errors ${run.errors}${lost}, ` +
            `other work ${Math.round(run.otherWorkPercent)}%`,
        );
      }
    }

    const memory = await measureCartMemory(ctx, PREFIX);
    // Each topology is a scenario of its own, compared with one node's round by round.
    const summaries = summarizeScenarios([...list, ...variants.map((v) => v.scenario)], runs);
    const ratios = ratiosOf(runs, [...RATIOS, ...variants.map((v) => v.ratio)]);
    const dirty = git('status', '--porcelain', '--untracked-files=no') ? ' + local changes' : '';
    const redisVersion = /redis_version:(\S+)/.exec(await control.info('server'))?.[1];
    const { rounds, otherRounds, secondsPerRun: seconds, connections } = settings;
    return {
      meta: {
        date: new Date().toISOString(),
        commit: `${git('rev-parse', '--short', 'HEAD')}${dirty}`,
        machine: `${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.versions.node}, Redis ${redisVersion}`,
        load: `load average before ${loadBefore.join(' ')}, after ${load().join(' ')}`,
        mode: settings.mode,
        run:
          `${rounds} round(s) of the add-to-cart comparison, ${otherRounds} of the others, ` +
          `~${seconds} s per run, ${connections} connections`,
        seconds: Math.round((performance.now() - startedAt) / 1000),
      },
      scenarios: summaries,
      ratios,
      targets: targetsOf(summaries, memory),
      memory,
      runs,
    };
  } finally {
    await stopEverything();
  }
}

/** Writes results.json, results.md and chart.svg (and, for a full run of everything, the docs); prints the tables. */
async function publish(results: Results, settings: Settings): Promise<void> {
  const chart = await chartSvg(results);
  // autocannon's own result is left out: its histogram rounds to whole milliseconds, the load's figures are exact.
  const json = JSON.stringify(results, (key, value: unknown) => (key === 'autocannon' ? undefined : value), 2);
  writeFileSync(join(settings.outDir, 'results.json'), `${json}\n`);
  writeFileSync(join(settings.outDir, 'results.md'), `# Benchmark results\n\n${markdownReport(results, 'chart.svg')}`);
  writeFileSync(join(settings.outDir, 'chart.svg'), chart);
  if (settings.updateDocs) {
    writeFileSync(join(ROOT, 'docs/perf/chart.svg'), chart);
    const doc = join(ROOT, 'docs/PERFORMANCE.md');
    const text = readFileSync(doc, 'utf8');
    const [from, to] = [text.indexOf(GENERATED_START), text.indexOf(GENERATED_END)];
    if (from < 0 || to < from) throw new Error(`docs/PERFORMANCE.md has lost its ${GENERATED_START} marker or its end`);
    const body = markdownReport(results, 'perf/chart.svg');
    writeFileSync(doc, `${text.slice(0, from + GENERATED_START.length)}\n${body}${text.slice(to)}`);
  }
  console.log(`\n${markdownReport(results, 'chart.svg')}`);
  console.log(`bench: ${settings.mode} run done; results in ${relative(ROOT, settings.outDir)}/`);
}

async function main() {
  const settings = parseSettings(process.argv.slice(2));
  await publish(await measure(settings), settings);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
