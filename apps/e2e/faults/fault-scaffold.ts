// What every fault spec shares, so that a spec is its fault and its assertions only: the storefront's
// three processes on a Redis the test controls (kill, freeze, restart), some of them through a fault
// proxy, started before the spec file's tests and stopped after; cart load through the gateway with
// the fault struck in the middle of it; and the figures and checks of the contract that every fault
// under load must keep ("Redis down or slow", "Redis topologies").
import { TEST_SECRET, percentile, startControllableRedis, uniquePrefix, type RedisProcess } from '@storefront/test-kit';
import { describeSlow, startShoppersLoad, type CartLoadResult, type Sample } from './cart-load';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { countBy, formatCounts } from '../support/http';
import {
  startStorefrontProcesses,
  watchMemory,
  type AppName,
  type StorefrontOptions,
  type StorefrontProcesses,
} from '../support/storefront-processes';

export interface FaultStorefront {
  front(): StorefrontProcesses;
  redis(): RedisProcess;
  /** The fault proxy in front of Redis, when some services go through one. */
  proxy(): FaultProxy;
  /** The services' key prefix in Redis. */
  prefix: string;
}

/**
 * Before the spec file's tests: a controllable redis-server (with `redisArgs`), a fault proxy in front
 * of it for the `proxied` services (the others talk to Redis straight), and the storefront's processes.
 * After them: everything stopped (Redis thawed first, or its stop would wait on a stopped process).
 */
export function useFaultStorefront(
  name: string,
  options: {
    redisArgs?: string[];
    proxied?: AppName[];
  } & Pick<StorefrontOptions, 'logLevels' | 'env'> = {},
): FaultStorefront {
  let redis: RedisProcess | undefined;
  let proxy: FaultProxy | undefined;
  let store: StorefrontProcesses | undefined;
  const prefix = uniquePrefix(name);

  beforeAll(async () => {
    redis = await startControllableRedis(options.redisArgs);
    const proxied = options.proxied ?? [];
    if (proxied.length > 0) proxy = await startFaultProxy({ port: redis.port });
    const through = (proxy as FaultProxy | undefined)?.url;
    store = await startStorefrontProcesses({
      redisUrl: redis.url,
      redisUrls: Object.fromEntries(proxied.map((app) => [app, through])),
      secret: TEST_SECRET,
      prefix,
      logLevels: options.logLevels,
      env: options.env,
    });
  }, 30_000);

  afterAll(async () => {
    redis?.thaw();
    await store?.stop();
    await proxy?.close();
    await redis?.stop();
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`no ${what}: its beforeAll failed or did not run`);
    return value;
  };
  return {
    front: () => started(store, 'storefront'),
    redis: () => started(redis, 'Redis'),
    proxy: () => started(proxy, 'fault proxy (give `proxied`)'),
    prefix,
  };
}

export interface LoadPlan {
  /** Sessions, each adding to its own cart. */
  shoppers: number;
  /** Connections they share (default one each). */
  connections?: number;
  /** Requests per second in all. */
  rate: number;
  durationSec: number;
  /** When the fault strikes, in ms after the load started. */
  faultAtMs: number;
  /** Watch each service's resident memory (see watchMemory). */
  watchMemory?: boolean;
}

/**
 * The load of the single-Redis faults: 200 shoppers over 50 connections at a steady 400 requests per
 * second for 20 s (autocannon overallRate), rather than as fast as answered: a closed loop at full
 * speed saturates the two cores, and then every answer's latency is the machine's queue (50
 * connections / throughput) and not the storefront's; with a fixed rate, the time an answer takes is
 * the storefront's own, and the machine keeps headroom for the other processes it may be running.
 * Idle, this machine answers about 1500 per second of this mix.
 */
export const STEADY_LOAD = { shoppers: 200, connections: 50, rate: 400, durationSec: 20, watchMemory: true } as const;

export interface FaultRun extends CartLoadResult {
  tokens: string[];
  /** Date.now() when the fault struck: what `fault` returned, or when it was called. */
  faultAt: number;
  /** Resident memory per service; set when the plan asked to watch it. */
  memory?: ReturnType<typeof watchMemory>;
}

/**
 * Cart load through the gateway of `front`, `fault` run `faultAtMs` into it, and every answer once
 * the load has ended. `fault` may return when exactly it struck (after a set-up of its own).
 */
export async function faultUnderLoad(
  front: StorefrontProcesses,
  plan: LoadPlan,
  fault: () => Promise<number | void>,
): Promise<FaultRun> {
  const { tokens, load } = await startShoppersLoad(front.gateway.url, plan);
  const memory = plan.watchMemory ? watchMemory(() => front.all()) : undefined;
  try {
    await new Promise((resolve) => setTimeout(resolve, plan.faultAtMs));
    const calledAt = Date.now();
    memory?.faultStarts();
    const faultAt = (await fault()) ?? calledAt;
    const result = await load.done;
    return { ...result, tokens, faultAt, memory };
  } finally {
    memory?.stop();
  }
}

/** "200 CART_UNAVAILABLE"-style label of an answer. */
export const statusLabel = (s: { status: number; code?: string }) => `${s.status}${s.code ? ` ${s.code}` : ''}`;

/** The answers the contract allows under a Redis fault: 2xx, or 503 CART_UNAVAILABLE. */
export function outsideContract(samples: Sample[]): Sample[] {
  const allowed = (s: Sample) =>
    s.status === 200 || s.status === 201 || (s.status === 503 && s.code === 'CART_UNAVAILABLE');
  return samples.filter((s) => !allowed(s));
}

/** The figures every fault under load prints: answers by status, no-answers, latency, the slow ones. */
export function loadFigures(run: FaultRun, faultName: string): string {
  const latencies = run.samples.map((s) => s.ms);
  return (
    `${run.samples.length} answers: ${formatCounts(countBy(run.samples, statusLabel))}; ` +
    `no answer: ${run.errors} (timeouts ${run.timeouts}); ` +
    `latency p50 ${percentile(latencies, 0.5)} ms p99 ${percentile(latencies, 0.99)} ms ` +
    `max ${Math.max(...latencies)} ms, ${describeSlow(run.samples, 1_000, run.faultAt, faultName)}`
  );
}

/**
 * What every fault under load keeps: no process exited, every request got an HTTP answer, every
 * answer was a 2xx or 503 CART_UNAVAILABLE (with a Retry-After on each refusal when `retryAfter`), and,
 * when the run watched memory, no service grew by 50 MB or more from the fault on (see watchMemory).
 */
export function expectContractKept(front: StorefrontProcesses, run: FaultRun, options: { retryAfter?: boolean } = {}) {
  expect(front.unexpectedExits()).toEqual([]);
  expect({ errors: run.errors, timeouts: run.timeouts }).toEqual({ errors: 0, timeouts: 0 });
  expect(outsideContract(run.samples).slice(0, 5)).toEqual([]);
  if (options.retryAfter) {
    // A refusal tells the client when to come back (docs/CONTRACT.md "Errors").
    const without = run.samples.filter((s) => s.status === 503 && !(Number(s.retryAfter) >= 1));
    expect(without.slice(0, 5)).toEqual([]);
  }
  for (const [app, mb] of Object.entries(run.memory?.growthMb() ?? {}))
    expect({ app, growthUnder50Mb: mb < 50 }).toEqual({ app, growthUnder50Mb: true });
}

/**
 * How the storefront came back once the fault was over (at `since`, Date.now()): ms from then to its
 * first 2xx and to its last non-2xx answer, and a line for the report.
 */
export function recovery(run: FaultRun, since: number, sinceName: string) {
  const firstOkMs = run.samples
    .filter((s) => s.end >= since && s.status < 300)
    .reduce((min, s) => Math.min(min, s.end - since), Infinity);
  const lastFailureMs = run.samples.filter((s) => s.status >= 300).reduce((max, s) => Math.max(max, s.end), 0) - since;
  const seconds = (ms: number) => (ms / 1000).toFixed(2);
  const firstOk = `first 2xx ${seconds(firstOkMs)} s after ${sinceName}`;
  const summary = `${firstOk}, last non-2xx ${seconds(lastFailureMs)} s after`;
  return { firstOkMs, lastFailureMs, summary };
}
