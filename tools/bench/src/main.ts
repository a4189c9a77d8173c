// `npm run bench [-- --quick]`: the storefront's benchmark. Starts its own redis-server and
// the built services, checks Redis round trips per operation exactly (MONITOR), runs every scenario
// once per round with the rounds interleaved, measures Redis memory per cart and the Redis server's
// own ceiling (redis-benchmark), profiles the services under load (full run), then prints the table,
// writes results.json, results.md and chart.svg, and ends with "bench: N passed, N failed", N counting
// the exact checks (lost updates, round trips) that also decide the exit code.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { createCartCache } from '@storefront/cart-cache';
import { createIdentityHandoff } from '@storefront/service-kit';
import type { BenchContext, Services, Settings } from './context';
import { closeIdleSockets } from './http-client';
import { measureCartMemory } from './memory';
import { findOnPath, loadGeneratorProcess, startNodeService, startRedisServer, type NodeService } from './processes';
import { profileUnderLoad, type ProfileSummary } from './profile';
import { runRedisBenchmark } from './redis-benchmark';
import { markdownReport, svgChart, terminalReport } from './report';
import { measureRoundTrips } from './round-trips';
import { runScenario, type ScenarioRun } from './runs';
import { scenarios } from './scenarios';
import { evaluate, ratiosOf, summarizeScenarios, type Results } from './summary';
import { TOPOLOGY_IDS, startTopologies, summarizeTopologies, topologyChecks, type Topologies } from './topologies';

const ROOT = resolve(__dirname, '../../..');
const PREFIX = 'storefront:';
const GENERATED_START = '<!-- bench:generated:start -->';
const GENERATED_END = '<!-- bench:generated:end -->';

const USAGE = `usage: npm run bench [-- options]
  --quick          one short round, for CI (under a minute); writes to dist/tools/bench/quick
  --rounds N       rounds of the add-to-cart comparison (full: 5, quick: 1); the other
                   scenarios run in the first min(N, 3) rounds
  --seconds S      about how long each measured run lasts (full: 3, quick: 1.5)
  --profile        profile the services under load (the full run does, unless --no-profile)
  --no-profile
  --out DIR        where results.json, results.md and chart.svg go (full: docs/perf)
  --only A,B       run only these scenarios (ids as in results.json), for development; the topology
                   comparison: --only ${TOPOLOGY_IDS.join(',')}
                   (inventory-add, the one-node reference, comes with any of them)
  --apps-dir DIR   run the services from DIR/<app>/main.js instead of dist/apps (to compare a candidate build)
  --keep-logs      keep the services' logs and the profiles' temporary directory
  --render FILE    measure nothing: write the reports again from a results.json (after a change to them)`;

function parseSettings(argv: string[]): Settings {
  const quick = argv.includes('--quick');
  const valueOf = (flag: string) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const known = new Set([
    '--quick',
    '--rounds',
    '--seconds',
    '--profile',
    '--no-profile',
    '--out',
    '--only',
    '--apps-dir',
    '--keep-logs',
    '--render',
    '--help',
  ]);
  for (const [i, arg] of argv.entries()) {
    const isValue =
      i > 0 && ['--rounds', '--seconds', '--out', '--only', '--apps-dir', '--render'].includes(argv[i - 1]);
    if (!isValue && !known.has(arg)) throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  if (argv.includes('--help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const outDir = resolve(ROOT, valueOf('--out') ?? (quick ? 'dist/tools/bench/quick' : 'docs/perf'));
  const number = (flag: string, fallback: number) => {
    const text = valueOf(flag);
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
    return value;
  };
  const rounds = Math.round(number('--rounds', quick ? 1 : 5));
  const render = valueOf('--render');
  return {
    mode: quick ? 'quick' : 'full',
    rounds,
    otherRounds: Math.min(rounds, 3),
    secondsPerRun: number('--seconds', quick ? 1.5 : 3),
    warmUpRequests: quick ? 400 : 1_000,
    connections: 50,
    shoppers: 1_000,
    probeRequests: quick ? 100 : 200,
    redisBenchmarkRequests: quick ? 10_000 : 30_000,
    profile: argv.includes('--profile') || (!quick && !argv.includes('--no-profile')),
    outDir,
    updatePerformanceDoc:
      !quick && !argv.includes('--only') && !argv.includes('--apps-dir') && outDir === resolve(ROOT, 'docs/perf'),
    keepLogs: argv.includes('--keep-logs'),
    only: valueOf('--only')?.split(',').filter(Boolean),
    appsDir: resolve(ROOT, valueOf('--apps-dir') ?? 'dist/apps'),
    render: render ? resolve(process.cwd(), render) : undefined,
  };
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${commit} + local changes` : commit;
  } catch {
    return 'unknown';
  }
}

/** The scenarios of a round, rotated by one per round so that none always runs first or last. */
function rotated<T>(items: T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function main(): Promise<number> {
  const startedAt = performance.now();
  const settings = parseSettings(process.argv.slice(2));
  if (settings.render) return publish(JSON.parse(readFileSync(settings.render, 'utf8')) as Results, settings);
  const bundles = {
    gateway: join(settings.appsDir, 'gateway/main.js'),
    inventory: join(settings.appsDir, 'inventory/main.js'),
    checkout: join(settings.appsDir, 'checkout/main.js'),
  };
  const baselines = {
    bare: join(__dirname, 'baselines/bare-express.js'),
    article: join(__dirname, 'baselines/article-cart.js'),
    articleShell: join(__dirname, 'baselines/article-cart-in-shell.js'),
  };
  for (const file of [...Object.values(bundles), ...Object.values(baselines)]) {
    if (!existsSync(file))
      throw new Error(`${relative(ROOT, file)} is missing: run \`npm run bench\`, which builds it first`);
  }
  const redisBinary = findOnPath('redis-server');
  if (!redisBinary) throw new Error('redis-server is not on PATH (Debian/Ubuntu: apt-get install redis-server)');

  const loadAverageBefore = loadavg();
  const workDir = mkdtempSync(join(tmpdir(), 'storefront-bench-'));
  let phaseStartedAt = performance.now();
  // Each phase line says how long the previous phase took, to keep an eye on the time budget.
  const log = (line: string) => console.log(line);
  const phase = (line: string) => {
    const now = performance.now();
    console.log(
      `${line}  [+${((now - startedAt) / 1000).toFixed(0)} s, last phase ${((now - phaseStartedAt) / 1000).toFixed(1)} s]`,
    );
    phaseStartedAt = now;
  };
  log(
    `bench: ${settings.mode} run: ${settings.rounds} round(s) of the add-to-cart comparison, ${settings.otherRounds} of the other scenarios, ` +
      `about ${settings.secondsPerRun} s per run; logs in ${workDir}`,
  );

  const redis = await startRedisServer(redisBinary);
  const secret = randomBytes(32).toString('base64url');
  // As in production (NODE_ENV, LOG_LEVEL=info: a JSON line per request, written to a file rather than
  // the terminal), with two benchmark settings: no rate limit, and a line limit high enough that one
  // hot shopper's thousands of adds are never refused.
  const serviceEnv: Record<string, string> = {
    NODE_ENV: 'production',
    GATEWAY_SECRET: secret,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: PREFIX,
    LOG_LEVEL: 'info',
    CART_MAX_QUANTITY: '1000000',
    RATE_LIMIT_PER_MINUTE: '0',
  };
  const started: NodeService[] = [];
  const topologyIds = TOPOLOGY_IDS.filter((id) => !settings.only || settings.only.includes(id));
  let topologies: Topologies | undefined;
  // Every process is recorded as soon as it is up, so that a failure (or Ctrl-C) later stops it too.
  const start = async (
    name: string,
    script: string,
    env: Record<string, string>,
    nodeArgs: string[] = [],
    port?: number,
  ) => {
    const service = await startNodeService({
      name,
      script,
      env,
      nodeArgs,
      logFile: join(workDir, `${name}.log`),
      port,
    });
    started.push(service);
    return service;
  };
  const control = new Redis(redis.url, { connectionName: 'bench-control' });
  const seedRedis = new Redis(redis.url, { connectionName: 'bench-seed', enableAutoPipelining: true });
  const stopEverything = async () => {
    closeIdleSockets();
    control.disconnect();
    seedRedis.disconnect();
    await Promise.all(started.map((service) => service.stop()));
    await Promise.all([redis.stop(), topologies?.stop()]);
    if (!settings.keepLogs) rmSync(workDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`bench: ${signal}, stopping`);
      void stopEverything().finally(() => process.exit(130));
    });
  }
  let results: Results | undefined;
  try {
    const [inventory, checkout, bare, article, articleShell] = await Promise.all([
      start('inventory', bundles.inventory, serviceEnv),
      start('checkout', bundles.checkout, serviceEnv),
      start('bare', baselines.bare, { NODE_ENV: 'production' }),
      start('article', baselines.article, { NODE_ENV: 'production', REDIS_URL: redis.url }),
      start('article-shell', baselines.articleShell, serviceEnv),
    ]);
    const gatewayEnv = { ...serviceEnv, INVENTORY_URL: inventory.url, CHECKOUT_URL: checkout.url };
    const gateway = await start('gateway', bundles.gateway, gatewayEnv);
    if (topologyIds.length) {
      phase('bench: a Redis Cluster and a Sentinel set, an inventory on each');
      topologies = await startTopologies(topologyIds, serviceEnv, (name, env) => start(name, bundles.inventory, env));
    }
    const variants = topologies?.variants ?? [];
    const services: Services = { inventory, checkout, gateway, bare, article, articleShell };
    const loadGenerator = loadGeneratorProcess();

    const ctx: BenchContext = {
      settings,
      redis,
      services,
      processes: () => [
        services.inventory,
        services.checkout,
        services.gateway,
        services.bare,
        services.article,
        services.articleShell,
        redis,
        loadGenerator,
      ],
      control,
      carts: createCartCache({
        redis: seedRedis,
        secret,
        prefix: PREFIX,
        limits: { maxQuantity: 1_000_000, maxLines: 50 },
      }),
      handoff: createIdentityHandoff(secret),
      prefix: PREFIX,
      workDir,
      async restart(name, nodeArgs) {
        const old = services[name];
        await old.stop();
        services[name] = await start(
          name,
          bundles[name],
          name === 'gateway' ? gatewayEnv : serviceEnv,
          nodeArgs,
          old.port,
        );
      },
    };

    phase('bench: Redis round trips per operation (MONITOR)');
    const roundTrips = await measureRoundTrips(ctx);
    for (const probe of roundTrips.probes) {
      log(
        `  ${probe.title}: ${probe.perRequest.toFixed(3)} per request (${Object.entries(probe.bySender)
          .map(([s, n]) => `${s} ${n}`)
          .join(', ')})`,
      );
    }
    // On every primary of the topology, counting the inventory's connections only (not the sentinels').
    for (const variant of variants) {
      const options = { probes: [variant.probe], nodes: variant.primaries, senders: ['inventory'] };
      const [probe] = (await measureRoundTrips(variant.context(ctx), options)).probes;
      roundTrips.probes.push(probe);
      const commands = Object.entries(probe.commands)
        .map((entry) => entry.join(' '))
        .join(', ');
      log(`  ${probe.title}: ${probe.perRequest.toFixed(3)} round trips per request (commands: ${commands})`);
    }

    phase('bench: scenarios');
    const all = scenarios();
    const list = all.filter(
      (s) => !settings.only || settings.only.includes(s.id) || (s.id === 'inventory-add' && variants.length > 0),
    );
    if (list.length === 0) throw new Error(`--only matched no scenario`);
    const runs: ScenarioRun[] = [];
    // The topology variants take turns with the add-to-cart comparison, each with its own inventory.
    const comparison = [
      ...list.filter((s) => s.comparison).map((scenario) => ({ scenario, context: ctx })),
      ...variants.map((variant) => ({ scenario: variant.scenario, context: variant.context(ctx) })),
    ];
    const others = list.filter((s) => !s.comparison).map((scenario) => ({ scenario, context: ctx }));
    for (let round = 1; round <= settings.rounds; round++) {
      const thisRound = [
        ...rotated(comparison, round - 1),
        ...(round <= settings.otherRounds ? rotated(others, round - 1) : []),
      ];
      for (const { scenario, context } of thisRound) {
        const scenarioStartedAt = performance.now();
        const run = await runScenario(context, scenario, round, roundTrips.commandsInsideScripts);
        runs.push(run);
        const took = (performance.now() - scenarioStartedAt) / 1000;
        // A topology's round trips are its MONITOR probe's (the INFO figure is the idle one-node Redis's).
        const roundTripsText = context === ctx ? `  RT/req ${run.roundTripsPerRequest.toFixed(3)}` : '';
        const lostText = run.lostUpdates ? `  lost ${run.lostUpdates.lost} of ${run.lostUpdates.expected}` : '';
        log(
          `  round ${round}/${settings.rounds} ${scenario.id.padEnd(27)}` +
            ` ${Math.round(run.load.requestsPerSecond).toString().padStart(6)} req/s` +
            `  p50 ${run.load.latencyMs.p50.toFixed(1)} ms  p99 ${run.load.latencyMs.p99.toFixed(1)} ms  errors ${run.errors}` +
            `${roundTripsText}${lostText}` +
            `  other work ${Math.round(run.otherWorkPercent)}%` +
            `  (${run.load.requests} requests in ${run.load.seconds.toFixed(1)} s; ${took.toFixed(1)} s with set-up)`,
        );
      }
    }

    phase('bench: Redis memory per cart, redis-benchmark');
    const memory = await measureCartMemory(ctx);
    const redisBenchmark = await runRedisBenchmark(ctx, roundTrips.samples);

    const profiles: ProfileSummary[] = [];
    if (settings.profile) {
      phase('bench: CPU profiles under load (node --cpu-prof)');
      const keepDir = join(ROOT, 'dist/tools/bench/profiles');
      const byId = (id: string) => all.find((s) => s.id === id)!;
      profiles.push(
        await profileUnderLoad(ctx, 'inventory', byId('inventory-add'), roundTrips.commandsInsideScripts, keepDir),
      );
      profiles.push(
        await profileUnderLoad(ctx, 'gateway', byId('gateway-add'), roundTrips.commandsInsideScripts, keepDir),
      );
    }

    phase('bench: done measuring');
    const scenarioSummaries = summarizeScenarios(list, runs, settings.connections);
    const ratios = ratiosOf(runs);
    const { targets, checks } = evaluate(scenarioSummaries, ratios, roundTrips.probes, memory);
    const topologyFigures = variants.length
      ? summarizeTopologies(variants, runs, roundTrips.probes, settings.connections)
      : undefined;
    checks.push(...topologyChecks(topologyFigures ?? []));
    const redisVersion = /redis_version:(\S+)/.exec(await control.info('server'))?.[1] ?? 'unknown';
    results = {
      meta: {
        date: new Date().toISOString(),
        mode: settings.mode,
        commit: gitCommit(),
        node: process.versions.node,
        redis: redisVersion,
        cpu: cpus()[0]?.model.trim() ?? 'unknown',
        cores: cpus().length,
        loadAverageBefore,
        loadAverageAfter: loadavg(),
        rounds: settings.rounds,
        otherRounds: settings.otherRounds,
        secondsPerRun: settings.secondsPerRun,
        connections: settings.connections,
        shoppers: settings.shoppers,
        runtimeSeconds: 0,
      },
      summary: { scenarios: scenarioSummaries, ratios, targets, checks },
      runs,
      roundTrips: roundTrips.probes,
      memory,
      redisBenchmark,
      profiles,
      topologies: topologyFigures,
    };
  } finally {
    await stopEverything();
  }

  results.meta.runtimeSeconds = (performance.now() - startedAt) / 1000;
  return publish(results, settings);
}

/** Writes results.json, results.md and chart.svg (and this run's part of docs/PERFORMANCE.md), prints the table; the exit code. */
function publish(results: Results, settings: Settings): number {
  mkdirSync(settings.outDir, { recursive: true });
  writeFileSync(join(settings.outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = markdownReport(results);
  writeFileSync(join(settings.outDir, 'results.md'), `# Benchmark results\n\n${markdown}`);
  writeFileSync(join(settings.outDir, 'chart.svg'), svgChart(results));
  if (settings.updatePerformanceDoc && results.meta.mode === 'full')
    updatePerformanceDoc(markdown.replace('](chart.svg)', '](perf/chart.svg)'));

  console.log(`\n${terminalReport(results)}\n`);
  console.log(
    `bench: results in ${relative(ROOT, settings.outDir) || '.'}/ (results.json, results.md, chart.svg); took ${Math.round(results.meta.runtimeSeconds)} s`,
  );
  const passed = results.summary.checks.filter((c) => c.passed).length;
  const failed = results.summary.checks.length - passed;
  console.log(`bench: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

/** Replaces the generated part of docs/PERFORMANCE.md (between its markers) with this run's figures. */
function updatePerformanceDoc(markdown: string): void {
  const file = join(ROOT, 'docs/PERFORMANCE.md');
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const from = text.indexOf(GENERATED_START);
  const to = text.indexOf(GENERATED_END);
  if (from < 0 || to < from) {
    console.log(`bench: docs/PERFORMANCE.md has no ${GENERATED_START} … ${GENERATED_END} markers; left as it is`);
    return;
  }
  const body = markdown.replace(/^### /gm, '#### ');
  writeFileSync(file, `${text.slice(0, from + GENERATED_START.length)}\n${body}\n${text.slice(to)}`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    // The bench did not get to its checks: CI must see a failure in the last line too.
    console.log('bench: 0 passed, 1 failed');
    process.exit(1);
  },
);
