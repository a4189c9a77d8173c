// Redis frozen (SIGSTOP) for 10 s under steady cart traffic through the gateway. A frozen
// Redis is the hard case: its sockets stay open and accept connections, nothing answers. The contract:
// answers within 1 s, 503 CART_UNAVAILABLE while it lasts, nothing piling up, serving again after.
import { percentile } from '@storefront/test-kit';
import {
  expectContractKept,
  faultUnderLoad,
  loadFigures,
  recovery,
  statusLabel,
  STEADY_LOAD,
  useFaultStorefront,
} from './fault-scaffold';
import { countBy, formatCounts, report } from '../support/http';

const PLAN = { ...STEADY_LOAD, faultAtMs: 6_000 };
const FROZEN_FOR_MS = 10_000;

const storefront = useFaultStorefront('faults-freeze');

it(
  'Redis frozen for 10 s under load: p99 within 1 s, 503 ' + 'CART_UNAVAILABLE while frozen, serving again after',
  async () => {
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
    const thawed = recovery(run, thawedAt, 'SIGCONT');
    report(
      `10 s freeze under load at ${PLAN.connections} connections, rate ${PLAN.rate}/s for ${PLAN.durationSec} s: ` +
        `${loadFigures(run, 'the freeze')} (autocannon p99 ${run.result.autocannon.latency.p99} ms); ` +
        `sent and answered during the freeze: ${duringFreeze.length} ` +
        `(${formatCounts(countBy(duringFreeze, statusLabel))}), ` +
        `p50 ${percentile(freezeLatencies, 0.5)} ms p99 ${percentile(freezeLatencies, 0.99)} ms ` +
        `max ${Math.max(...freezeLatencies)} ms; ${thawed.summary}; ${run.memory?.summary()}`,
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
    expect(thawed.firstOkMs).toBeLessThan(5_000);
    expect(thawed.lastFailureMs).toBeLessThan(5_000);
  },
  90_000,
);
