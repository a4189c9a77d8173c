// One measured run of a scenario: fresh data set, warm-up, fresh data set again, then the run itself
// between two readings of every process's CPU, with every process's resident memory sampled meanwhile.
import { performance } from 'node:perf_hooks';
import { rssMbOf, runLoad, runPacedLoad, type PacedLoadResult } from '@storefront/test-kit';
import type { BenchContext } from './context';
import { cpuSecondsOf, machineBusySeconds } from './cpu';
import type { Scenario } from './scenarios';

export interface ScenarioRun {
  scenario: string;
  round: number;
  load: PacedLoadResult;
  /** Requests without the expected answer, answered otherwise or not at all. */
  errors: number;
  /** Per process: share of one core during the run, in percent, and CPU microseconds per request. */
  cpu: Record<string, { percent: number; microsecondsPerRequest: number }>;
  /** Per process: the most resident memory seen during the run, in MB. */
  rssMb: Record<string, number>;
  /** CPU the rest of the machine used meanwhile, in percent of one core: the noise of this run. */
  otherWorkPercent: number;
  /** Hot-shopper scenarios: acknowledged adds, and the quantity Redis holds afterwards. */
  lostUpdates?: { acknowledged: number; stored: number };
  /** A soak: per process, resident memory once settled and the most seen after that, in MB. */
  soak?: Record<string, { settledMb: number; peakAfterMb: number }>;
}

/**
 * Samples each process's resident memory every 100 ms; the function it returns stops and gives the peaks,
 * and for a soak each process's memory once `settleMs` have passed and the most seen after that.
 */
function watchMemory(processes: { name: string; pid: number }[], settleMs = Infinity) {
  const peak: Record<string, number> = {};
  const soak: Record<string, { settledMb: number; peakAfterMb: number }> = {};
  const settleAt = performance.now() + settleMs;
  const sample = () => {
    for (const { name, pid } of processes) {
      try {
        const mb = rssMbOf(pid);
        peak[name] = Math.max(peak[name] ?? 0, mb);
        if (performance.now() < settleAt) continue;
        soak[name] ??= { settledMb: mb, peakAfterMb: mb };
        soak[name].peakAfterMb = Math.max(soak[name].peakAfterMb, mb);
      } catch {
        // gone: nothing to read
      }
    }
  };
  const timer = setInterval(sample, 100);
  return () => {
    clearInterval(timer);
    sample();
    return { peak, soak: Object.keys(soak).length ? soak : undefined };
  };
}

/** At `rate` requests per second if given (evenly spaced), else as fast as answered (autocannon). */
export async function runScenario(ctx: BenchContext, scenario: Scenario, round: number, rate?: number) {
  const { settings, control } = ctx;
  const connections = settings.connections;
  await control.flushall();
  // The first round also warms the processes up (JIT), hence a longer warm-up.
  const warmUpRequests = scenario.warmUpRequests ?? settings.warmUpRequests * (round <= 1 ? 3 : 1);
  const warmUp = await scenario.prepare(ctx, 'warm-up', warmUpRequests);
  const warmUpRate = (await runLoad({ ...warmUp, connections, requests: warmUpRequests })).requestsPerSecond;
  // A fixed count, from the warm-up's rate, bounded so that a wild estimate on a noisy machine can
  // neither make a run meaningless nor blow the time budget.
  const wanted = (rate ?? warmUpRate) * (scenario.soak ? settings.soak.seconds : settings.secondsPerRun);
  const requests = Math.round(Math.min(scenario.maxRequests ?? 100_000, Math.max(6 * connections, wanted)));
  await control.flushall();
  const prepared = await scenario.prepare(ctx, 'measured', requests);

  const processes = ctx.processes();
  const cpuBefore = processes.map((p) => cpuSecondsOf(p.pid));
  const machineBefore = machineBusySeconds();
  const settleMs = scenario.soak ? settings.soak.settleSeconds * 1000 : undefined;
  const stopWatching = watchMemory(
    processes.filter((p) => p.pid !== process.pid),
    settleMs,
  );
  const startedAt = performance.now();
  const load = await (rate === undefined
    ? runLoad({ ...prepared, connections, requests })
    : runPacedLoad({ ...prepared, connections, requests, rate }));
  const wallSeconds = (performance.now() - startedAt) / 1000;
  const { peak: rssMb, soak } = stopWatching();
  const cpuSeconds = processes.map((p, i) => cpuSecondsOf(p.pid) - cpuBefore[i]);
  const otherSeconds = machineBusySeconds() - machineBefore - cpuSeconds.reduce((sum, s) => sum + s, 0);

  const perRequest = (value: number) => (load.requests > 0 ? value / load.requests : 0);
  const acknowledged = load.statuses[prepared.expectedStatus] ?? 0;
  const run: ScenarioRun = {
    scenario: scenario.id,
    round,
    load,
    errors: requests - acknowledged,
    cpu: Object.fromEntries(
      processes.map(({ name }, i) => [
        name,
        { percent: (100 * cpuSeconds[i]) / wallSeconds, microsecondsPerRequest: perRequest(cpuSeconds[i] * 1e6) },
      ]),
    ),
    rssMb,
    otherWorkPercent: Math.max(0, (100 * otherSeconds) / wallSeconds),
    lostUpdates: prepared.storedQuantity ? { acknowledged, stored: await prepared.storedQuantity() } : undefined,
    soak,
  };
  return run;
}
