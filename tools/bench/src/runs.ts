// One measured run of a scenario: fresh data set, warm-up, fresh data set again, then the run itself
// between two INFO snapshots and two CPU readings of every process.
import { performance } from 'node:perf_hooks';
import type { BenchContext } from './context';
import { machineBusySeconds } from './processes';
import { runLoad, unexpectedAnswers, type LoadResult } from './load';
import { difference, takeSnapshot, type RedisDelta } from './redis-stats';
import type { LostUpdates, Scenario } from './scenarios';

export interface ScenarioRun {
  scenario: string;
  round: number;
  load: LoadResult;
  /** Requests without the expected answer, plus requests that got no answer at all. */
  errors: number;
  redis: RedisDelta;
  roundTripsPerRequest: number;
  bytesToRedisPerRequest: number;
  bytesFromRedisPerRequest: number;
  /** Per process: share of one core during the run, in percent, and CPU microseconds per request. */
  cpu: Record<string, { percent: number; microsecondsPerRequest: number }>;
  /** CPU the rest of the machine used meanwhile, in percent of one core: the noise of this run. */
  otherWorkPercent: number;
  /**
   * Little's law: connections in use = throughput × mean latency. Close to the connection count when
   * the latencies are right; far off when the server closed connections and autocannon's clock lied.
   */
  littleConcurrency: number;
  lostUpdates?: LostUpdates;
  /** The measured run on the monotonic clock, in microseconds (V8 stamps profile samples with it). */
  window: { fromMicros: number; toMicros: number };
}

const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

// Fixed-count runs: the count comes from the warm-up's rate, bounded so that a wild estimate on a
// noisy machine can neither make a run meaningless nor blow the time budget.
const MIN_REQUESTS_PER_CONNECTION = 6;
const MAX_REQUESTS = 100_000;

export async function runScenario(
  ctx: BenchContext,
  scenario: Scenario,
  round: number,
  commandsInsideScripts: ReadonlySet<string>,
): Promise<ScenarioRun> {
  const { settings, control } = ctx;
  const connections = settings.connections;

  await control.flushall();
  // The first round also warms the processes up (JIT), hence a longer warm-up, unless each warm-up
  // request needs a costly data set of its own.
  const warmUpRequests = Math.max(
    connections,
    scenario.warmUpRequests ?? settings.warmUpRequests * (round <= 1 ? 3 : 1),
  );
  const warmUp = await scenario.prepare(ctx, scenario.warmUpOnMeasuredData ? 'measured' : 'warm-up', warmUpRequests);
  const warmUpLoad = await runLoad({
    url: warmUp.url,
    connections,
    requests: warmUpRequests,
    nextRequest: warmUp.nextRequest,
  });
  const requests = Math.round(
    Math.min(
      scenario.maxRequests ?? MAX_REQUESTS,
      Math.max(MIN_REQUESTS_PER_CONNECTION * connections, warmUpLoad.requestsPerSecond * settings.secondsPerRun),
    ),
  );

  let prepared = warmUp;
  if (!scenario.warmUpOnMeasuredData) {
    await control.flushall();
    prepared = await scenario.prepare(ctx, 'measured', requests);
  }
  const processes = ctx.processes();
  const cpuBefore = processes.map((p) => p.cpuSeconds());
  const machineBefore = machineBusySeconds();
  const before = await takeSnapshot(control);
  const startedAt = performance.now();
  const fromMicros = monotonicMicros();
  const load = await runLoad({ url: prepared.url, connections, requests, nextRequest: prepared.nextRequest });
  const toMicros = monotonicMicros();
  const wallSeconds = (performance.now() - startedAt) / 1000;
  const after = await takeSnapshot(control);
  const cpuAfter = processes.map((p) => p.cpuSeconds());
  const machineSeconds = machineBusySeconds() - machineBefore;
  const lostUpdates = prepared.countLostUpdates ? await prepared.countLostUpdates(load, requests) : undefined;

  const redis = difference(before, after, commandsInsideScripts);
  const perRequest = (value: number) => (load.requests > 0 ? value / load.requests : 0);
  const cpu: ScenarioRun['cpu'] = {};
  processes.forEach((process, i) => {
    const seconds = cpuAfter[i] - cpuBefore[i];
    cpu[process.name] = { percent: (100 * seconds) / wallSeconds, microsecondsPerRequest: perRequest(seconds * 1e6) };
  });
  const ownSeconds = cpuAfter.reduce((sum, after, i) => sum + (after - cpuBefore[i]), 0);
  return {
    scenario: scenario.id,
    round,
    load,
    errors: unexpectedAnswers(load, prepared.expectedStatuses) + (requests - load.requests),
    redis,
    roundTripsPerRequest: perRequest(redis.roundTrips),
    bytesToRedisPerRequest: perRequest(redis.bytesToRedis),
    bytesFromRedisPerRequest: perRequest(redis.bytesFromRedis),
    cpu,
    otherWorkPercent: Math.max(0, (100 * (machineSeconds - ownSeconds)) / wallSeconds),
    littleConcurrency: load.requestsPerSecond * (load.latencyMs.mean / 1000),
    lostUpdates,
    window: { fromMicros, toMicros },
  };
}
