// Redis frozen (SIGSTOP) for 10 s under steady cart traffic through the gateway. A frozen
// Redis is the hard case: its sockets stay open and accept connections, nothing answers. The contract:
// answers within 1 s, 503 CART_UNAVAILABLE while it lasts, nothing piling up, serving again after.
import { percentile } from '@storefront/test-kit';
import {
  expectContractKept,
  expectMemoryBounded,
  faultUnderLoad,
  loadFigures,
  statusLabel,
  useFaultStorefront,
} from './fault-scaffold';
import { countBy, formatCounts, report } from '../support/http';

// A steady rate rather than as fast as answered: see redis-restart-under-load.spec.ts.
const PLAN = { shoppers: 200, connections: 50, rate: 400, durationSec: 20, faultAtMs: 6_000, watchMemory: true };
const FROZEN_FOR_MS = 10_000;

const storefront = useFaultStorefront('faults-freeze');

it('Redis frozen for 10 s under load: p99 within 1 s, 503 CART_UNAVAILABLE while frozen, serving again after', async () => {
  const front = storefront.front();
  const server = storefront.redis();
  let thawedAt = 0;
  const run = await faultUnderLoad(front, PLAN, async () => {
    server.freeze();
    try {
      await new Promise((resolve) => setTimeout(resolve, FROZEN_FOR_MS));
    } finally {
      server.thaw();
      thawedAt = Date.now();
    }
  });
  const { samples, faultAt: frozenAt } = run;

  // Requests sent after the freeze began and answered before it ended: Redis could not have run them.
  const duringFreeze = samples.filter((s) => s.start >= frozenAt && s.end <= thawedAt);
  const freezeLatencies = duringFreeze.map((s) => s.ms);
  const firstOkAfterThaw = samples
    .filter((s) => s.end >= thawedAt && s.status < 300)
    .reduce((min, s) => Math.min(min, s.end), Infinity);
  const lastFailure = samples.filter((s) => s.status >= 300).reduce((max, s) => Math.max(max, s.end), 0);
  const seconds = (ms: number) => (ms / 1000).toFixed(2);
  report(
    `10 s freeze under load at ${PLAN.connections} connections, rate ${PLAN.rate}/s for ${PLAN.durationSec} s: ` +
      `${loadFigures(run, 'the freeze')} (autocannon p99 ${run.result.autocannon.latency.p99} ms); ` +
      `sent and answered during the freeze: ${duringFreeze.length} (${formatCounts(countBy(duringFreeze, statusLabel))}), ` +
      `p50 ${percentile(freezeLatencies, 0.5)} ms p99 ${percentile(freezeLatencies, 0.99)} ms ` +
      `max ${Math.max(...freezeLatencies)} ms; first 2xx ${seconds(firstOkAfterThaw - thawedAt)} s after SIGCONT, ` +
      `last non-2xx ${seconds(lastFailure - thawedAt)} s after; ${run.memory?.summary()}`,
  );

  expectContractKept(front, run, { retryAfter: true });
  expect(
    percentile(
      samples.map((s) => s.ms),
      0.99,
    ),
  ).toBeLessThanOrEqual(1_000);
  // The freeze was felt under load (hundreds of answers during it), and every one of them was the
  // contract's refusal.
  expect(duringFreeze.length).toBeGreaterThan(100);
  expect(duringFreeze.filter((s) => !(s.status === 503 && s.code === 'CART_UNAVAILABLE')).slice(0, 5)).toEqual([]);
  expect(firstOkAfterThaw - thawedAt).toBeLessThan(5_000);
  expect(lastFailure - thawedAt).toBeLessThan(5_000);
  expectMemoryBounded(run);
}, 90_000);
