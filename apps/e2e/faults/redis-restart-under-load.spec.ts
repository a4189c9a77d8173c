// Steady cart traffic through the gateway while Redis is killed (SIGKILL) and started again.
// The contract ("Redis down or slow"): every answer within 1 s, every failure a 503 CART_UNAVAILABLE,
// no process crashes, nothing piles up in memory, and the storefront serves again within 5 s of Redis
// being back, without a restart.
import { connectTestRedis, keysMatching } from '@storefront/test-kit';
import {
  expectContractKept,
  faultUnderLoad,
  loadFigures,
  recovery,
  STEADY_LOAD,
  useFaultStorefront,
} from './fault-scaffold';
import { report } from '../support/http';

// The kill comes late enough for the services' memory to reach its plateau under this load (see
// watchMemory).
const PLAN = { ...STEADY_LOAD, faultAtMs: 8_000 };
const DOWN_FOR_MS = 3_000;

// fsync on every write: what Redis acknowledged before the kill is on disk, so the sessions (and
// carts) survive the restart and the test can tell "lost" from "refused".
const storefront = useFaultStorefront('faults-restart', {
  redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'],
});

it(
  'Redis killed and restarted under load: every answer within 1 s, 503 ' +
    'CART_UNAVAILABLE or 2xx, no crash, bounded memory, 2xx again within 5 s',
  async () => {
    const front = storefront.front();
    const server = storefront.redis();
    let backAt = 0;
    const run = await faultUnderLoad(front, PLAN, async () => {
      await server.kill();
      await new Promise((resolve) => setTimeout(resolve, DOWN_FOR_MS));
      await server.start();
      backAt = Date.now(); // redis-server printed "Ready to accept connections"
    });
    const { samples, faultAt: killedAt } = run;
    const back = recovery(run, backAt, 'Redis was back');
    report(
      `kill+restart under load at ${PLAN.connections} connections, rate ${PLAN.rate}/s for ${PLAN.durationSec} s: ` +
        `${loadFigures(run, 'the kill')} (autocannon max ${run.result.autocannon.latency.max} ms); ` +
        `Redis down ${((backAt - killedAt) / 1000).toFixed(2)} s; ${back.summary}; ${run.memory?.summary()}`,
    );

    expectContractKept(front, run, { retryAfter: true });
    expect(samples.filter((s) => s.ms > 1_000).slice(0, 5)).toEqual([]);
    // The fault did happen under load: answers on both sides of it, and refusals while Redis was gone.
    expect(samples.some((s) => s.end < killedAt && s.status === 201)).toBe(true);
    expect(samples.some((s) => s.start > killedAt && s.end < backAt && s.status === 503)).toBe(true);
    expect(back.firstOkMs).toBeLessThan(5_000);
    expect(back.lastFailureMs).toBeLessThan(5_000);

    // Redis state: every acknowledged add is there (fsync always), and at most the refused adds came on
    // top (a command Redis ran and logged just before SIGKILL, whose reply never left).
    const check = connectTestRedis(server.url);
    try {
      const cartKeys = await keysMatching(check, `${storefront.prefix}cart:*`);
      let units = 0;
      for (const key of cartKeys) {
        for (const quantity of Object.values(await check.hgetall(key))) units += Number(quantity);
      }
      const acknowledged = samples.filter((s) => s.kind === 'add' && s.status === 201).length;
      const refused = samples.filter((s) => s.kind === 'add' && s.status === 503).length;
      report(
        `Redis state: ${cartKeys.length} carts holding ${units} units; adds acknowledged ${acknowledged}, ` +
          `refused ${refused}; applied although refused: ${units - acknowledged}`,
      );
      expect(units).toBeGreaterThanOrEqual(acknowledged);
      expect(units).toBeLessThanOrEqual(acknowledged + refused);
    } finally {
      check.disconnect();
    }
  },
  90_000,
);
