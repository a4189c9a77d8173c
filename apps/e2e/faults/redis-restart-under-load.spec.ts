// Steady cart traffic through the gateway while Redis is killed (SIGKILL) and started again.
// The contract ("Redis down or slow"): every answer within 1 s, every failure a 503 CART_UNAVAILABLE,
// no process crashes, nothing piles up in memory, and the storefront serves again within 5 s of Redis
// being back, without a restart.
import { listItems } from '@storefront/catalog';
import {
  TEST_SECRET,
  connectTestRedis,
  startControllableRedis,
  uniquePrefix,
  type RedisProcess,
} from '@storefront/test-kit';
import { describeSlow, startCartLoad } from './cart-load';
import { countBy, formatCounts, inParallel, newSession, quantile, report } from '../support/http';
import { startStorefrontProcesses, watchMemory, type StorefrontProcesses } from '../support/storefront-processes';

const LOAD_SECONDS = 20;
const CONNECTIONS = 50;
// A steady 400 requests per second over the 50 connections (autocannon overallRate), rather than as
// fast as answered: a closed loop at full speed saturates the two cores, and then every answer's
// latency is the machine's queue (50 connections / throughput) and not the storefront's; with a fixed
// rate, the time an answer takes is the storefront's own, and the machine keeps headroom for the
// other processes it may be running. Idle, this machine answers about 1500 per second of this mix.
const RATE = 400;
const SESSIONS = 200;
// Late enough for the services' memory to reach its plateau under this load (see watchMemory).
const KILL_AT_MS = 8_000;
const DOWN_FOR_MS = 3_000;

let redis: RedisProcess | undefined;
let store: StorefrontProcesses | undefined;
const prefix = uniquePrefix('faults-restart');

beforeAll(async () => {
  // fsync on every write: what Redis acknowledged before the kill is on disk, so the sessions (and
  // carts) survive the restart and the test can tell "lost" from "refused".
  redis = await startControllableRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
  store = await startStorefrontProcesses({ redisUrl: redis.url, secret: TEST_SECRET, prefix });
}, 30_000);

afterAll(async () => {
  await store?.stop();
  await redis?.stop();
});

it('Redis killed and restarted under load: every answer within 1 s, 503 CART_UNAVAILABLE or 2xx, no crash, bounded memory, 2xx again within 5 s', async () => {
  const front = store as StorefrontProcesses;
  const server = redis as RedisProcess;
  const tokens = await inParallel(Array.from({ length: SESSIONS }), 20, () => newSession(front.gateway.url));
  const itemIds = listItems().map((item) => item.id);

  // Resident memory: the fault is judged against the load's own steady state (see watchMemory): the
  // peak in the KILL_AT_MS of load before the kill is the baseline.
  const memory = watchMemory(() => front.all());

  let killedAt = 0;
  let backAt = 0;
  try {
    const load = startCartLoad({
      gatewayUrl: front.gateway.url,
      tokens,
      itemIds,
      connections: CONNECTIONS,
      durationSec: LOAD_SECONDS,
      overallRate: RATE,
    });
    await new Promise((resolve) => setTimeout(resolve, KILL_AT_MS));
    killedAt = Date.now();
    memory.faultStarts();
    await server.kill();
    await new Promise((resolve) => setTimeout(resolve, DOWN_FOR_MS));
    await server.start();
    backAt = Date.now(); // redis-server printed "Ready to accept connections"
    const { samples, errors, timeouts, result } = await load.done;

    const byStatus = countBy(samples, (s) => `${s.status}${s.code ? ` ${s.code}` : ''}`);
    const latencies = samples.map((s) => s.ms);
    const wrong = samples.filter(
      (s) => !(s.status === 201 || s.status === 200 || (s.status === 503 && s.code === 'CART_UNAVAILABLE')),
    );
    const slow = samples.filter((s) => s.ms > 1_000);
    const firstOkAfterBack = samples
      .filter((s) => s.end >= backAt && s.status < 300)
      .reduce((min, s) => Math.min(min, s.end), Infinity);
    const lastFailure = samples.filter((s) => s.status >= 300).reduce((max, s) => Math.max(max, s.end), 0);
    memory.stop();
    const growth = memory.growthMb();
    report(
      `kill+restart under load: ${samples.length} answers in ${LOAD_SECONDS} s at ${CONNECTIONS} connections, rate ${RATE}/s (${Math.round(samples.length / LOAD_SECONDS)}/s answered); ` +
        `by status: ${formatCounts(byStatus)}; no answer: ${errors} (timeouts ${timeouts}); ` +
        `latency p50 ${quantile(latencies, 0.5)} ms p99 ${quantile(latencies, 0.99)} ms max ${Math.max(...latencies)} ms (autocannon max ${result.latency.max} ms), ${describeSlow(samples, 1_000, killedAt, 'the kill')}; ` +
        `Redis down ${((backAt - killedAt) / 1000).toFixed(2)} s; first 2xx ${((firstOkAfterBack - backAt) / 1000).toFixed(2)} s after Redis was back, ` +
        `last non-2xx ${((lastFailure - backAt) / 1000).toFixed(2)} s after; ` +
        memory.summary(),
    );

    expect(front.unexpectedExits()).toEqual([]);
    expect({ errors, timeouts }).toEqual({ errors: 0, timeouts: 0 });
    // A refusal tells the client when to come back (docs/CONTRACT.md "Errors").
    expect(samples.filter((s) => s.status === 503 && !(Number(s.retryAfter) >= 1)).slice(0, 5)).toEqual([]);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(slow.slice(0, 5)).toEqual([]);
    // The fault did happen under load: answers on both sides of it, and refusals while Redis was gone.
    expect(samples.some((s) => s.end < killedAt && s.status === 201)).toBe(true);
    expect(samples.some((s) => s.start > killedAt && s.end < backAt && s.status === 503)).toBe(true);
    expect(firstOkAfterBack - backAt).toBeLessThan(5_000);
    expect(lastFailure - backAt).toBeLessThan(5_000);
    for (const app of Object.keys(growth))
      expect({ app, growthUnder50Mb: growth[app] < 50 }).toEqual({ app, growthUnder50Mb: true });

    // Redis state: every acknowledged add is there (fsync always), and at most the refused adds came on
    // top (a command Redis ran and logged just before SIGKILL, whose reply never left).
    const check = connectTestRedis(server.url);
    try {
      const cartKeys: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await check.scan(cursor, 'MATCH', `${prefix}cart:*`, 'COUNT', 1000);
        cursor = next;
        cartKeys.push(...keys);
      } while (cursor !== '0');
      let units = 0;
      for (const key of cartKeys) {
        for (const quantity of Object.values(await check.hgetall(key))) units += Number(quantity);
      }
      const acknowledged = samples.filter((s) => s.kind === 'add' && s.status === 201).length;
      const refused = samples.filter((s) => s.kind === 'add' && s.status === 503).length;
      report(
        `Redis state: ${cartKeys.length} carts holding ${units} units; adds acknowledged ${acknowledged}, refused ${refused}; ` +
          `applied although refused: ${units - acknowledged}`,
      );
      expect(units).toBeGreaterThanOrEqual(acknowledged);
      expect(units).toBeLessThanOrEqual(acknowledged + refused);
    } finally {
      check.disconnect();
    }
  } finally {
    memory.stop();
  }
}, 90_000);
