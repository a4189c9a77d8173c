// Redis frozen (SIGSTOP) for 10 s under steady cart traffic through the gateway. A frozen
// Redis is the hard case: its sockets stay open and accept connections, nothing answers. The contract:
// answers within 1 s, 503 CART_UNAVAILABLE while it lasts, nothing piling up, serving again after.
import { listItems } from '@storefront/catalog';
import { TEST_SECRET, startControllableRedis, uniquePrefix, type RedisProcess } from '@storefront/test-kit';
import { describeSlow, startCartLoad } from './cart-load';
import { countBy, formatCounts, inParallel, newSession, quantile, report } from '../support/http';
import { startStorefrontProcesses, watchMemory, type StorefrontProcesses } from '../support/storefront-processes';

const CONNECTIONS = 50;
// A steady 400 requests per second over the 50 connections (autocannon overallRate), rather than as
// fast as answered: a closed loop at full speed saturates the two cores, and then every answer's
// latency is the machine's queue (50 connections / throughput) and not the storefront's; with a fixed
// rate, the time an answer takes is the storefront's own, and the machine keeps headroom for the
// other processes it may be running. Idle, this machine answers about 1500 per second of this mix.
const RATE = 400;
const SESSIONS = 200;
const FREEZE_AT_MS = 6_000;
const FROZEN_FOR_MS = 10_000;
const LOAD_SECONDS = 20;

let redis: RedisProcess | undefined;
let store: StorefrontProcesses | undefined;

beforeAll(async () => {
  redis = await startControllableRedis();
  store = await startStorefrontProcesses({
    redisUrl: redis.url,
    secret: TEST_SECRET,
    prefix: uniquePrefix('faults-freeze'),
  });
}, 30_000);

afterAll(async () => {
  // Thawed first, or SIGKILL would wait on a stopped process; the services' stop closes their Redis.
  redis?.thaw();
  await store?.stop();
  await redis?.stop();
});

it('Redis frozen for 10 s under load: p99 within 1 s, 503 CART_UNAVAILABLE while frozen, serving again after', async () => {
  const front = store as StorefrontProcesses;
  const server = redis as RedisProcess;
  const tokens = await inParallel(Array.from({ length: SESSIONS }), 20, () => newSession(front.gateway.url));
  const memory = watchMemory(() => front.all());

  let frozenAt = 0;
  let thawedAt = 0;
  try {
    const load = startCartLoad({
      gatewayUrl: front.gateway.url,
      tokens,
      itemIds: listItems().map((item) => item.id),
      connections: CONNECTIONS,
      durationSec: LOAD_SECONDS,
      overallRate: RATE,
    });
    await new Promise((resolve) => setTimeout(resolve, FREEZE_AT_MS));
    frozenAt = Date.now();
    memory.faultStarts();
    server.freeze();
    try {
      await new Promise((resolve) => setTimeout(resolve, FROZEN_FOR_MS));
    } finally {
      server.thaw();
      thawedAt = Date.now();
    }
    const { samples, errors, timeouts, result } = await load.done;
    memory.stop();

    // Requests sent after the freeze began and answered before it ended: Redis could not have run them.
    const duringFreeze = samples.filter((s) => s.start >= frozenAt && s.end <= thawedAt);
    const latencies = samples.map((s) => s.ms);
    const freezeLatencies = duringFreeze.map((s) => s.ms);
    const firstOkAfterThaw = samples
      .filter((s) => s.end >= thawedAt && s.status < 300)
      .reduce((min, s) => Math.min(min, s.end), Infinity);
    const lastFailure = samples.filter((s) => s.status >= 300).reduce((max, s) => Math.max(max, s.end), 0);
    const label = (s: { status: number; code?: string }) => `${s.status}${s.code ? ` ${s.code}` : ''}`;
    report(
      `10 s freeze under load: ${samples.length} answers in ${LOAD_SECONDS} s at ${CONNECTIONS} connections, rate ${RATE}/s; ` +
        `by status: ${formatCounts(countBy(samples, label))}; no answer: ${errors} (timeouts ${timeouts}); ` +
        `latency p50 ${quantile(latencies, 0.5)} ms p99 ${quantile(latencies, 0.99)} ms max ${Math.max(...latencies)} ms (autocannon p99 ${result.latency.p99} ms), ${describeSlow(samples, 1_000, frozenAt, 'the freeze')}; ` +
        `sent and answered during the freeze: ${duringFreeze.length} (${formatCounts(countBy(duringFreeze, label))}), ` +
        `p50 ${quantile(freezeLatencies, 0.5)} ms p99 ${quantile(freezeLatencies, 0.99)} ms max ${Math.max(...freezeLatencies)} ms; ` +
        `first 2xx ${((firstOkAfterThaw - thawedAt) / 1000).toFixed(2)} s after SIGCONT, last non-2xx ${((lastFailure - thawedAt) / 1000).toFixed(2)} s after; ` +
        memory.summary(),
    );

    expect(front.unexpectedExits()).toEqual([]);
    expect({ errors, timeouts }).toEqual({ errors: 0, timeouts: 0 });
    // A refusal tells the client when to come back (docs/CONTRACT.md "Errors").
    expect(samples.filter((s) => s.status === 503 && !(Number(s.retryAfter) >= 1)).slice(0, 5)).toEqual([]);
    expect(quantile(latencies, 0.99)).toBeLessThanOrEqual(1_000);
    // The freeze was felt under load (hundreds of answers during it), and every one of them was the
    // contract's refusal; nothing else either, before or after.
    expect(duringFreeze.length).toBeGreaterThan(100);
    expect(duringFreeze.filter((s) => !(s.status === 503 && s.code === 'CART_UNAVAILABLE')).slice(0, 5)).toEqual([]);
    expect(
      samples.filter((s) => !(s.status < 300 || (s.status === 503 && s.code === 'CART_UNAVAILABLE'))).slice(0, 5),
    ).toEqual([]);
    expect(firstOkAfterThaw - thawedAt).toBeLessThan(5_000);
    expect(lastFailure - thawedAt).toBeLessThan(5_000);
    for (const [app, mb] of Object.entries(memory.growthMb()))
      expect({ app, growthUnder50Mb: mb < 50 }).toEqual({ app, growthUnder50Mb: true });
  } finally {
    memory.stop();
    server.thaw();
  }
}, 90_000);
