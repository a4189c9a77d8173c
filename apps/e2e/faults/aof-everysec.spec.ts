// What compose runs (README "Run it"): Redis with an append-only file and
// appendfsync everysec. Redis writes the file on every change and fsyncs it once a second, so a
// SIGKILL may lose about the last second, never more than 2 s (Redis's own bound when an fsync runs
// late). Carts acknowledged more than 2 s before the kill must be there after the restart. Carts
// changed in the last moment may or may not be, and are only printed.
import { connectTestRedis, waitReady, inPool } from '@storefront/test-kit';
import { call, newSession, report } from '../support/http';
import { useFaultStorefront } from './fault-scaffold';

const OLD_CARTS = 30;
const RECENT_CARTS = 30;

const storefront = useFaultStorefront('faults-aof', {
  redisArgs: ['--appendonly', 'yes', '--appendfsync', 'everysec'],
});

type Shopper = { token: string; cart: { id: string; quantity: number }[]; ackedAt: number };

async function shopperWithCart(gatewayUrl: string, n: number): Promise<Shopper> {
  const token = await newSession(gatewayUrl);
  const cart = [
    { id: 'badger-plush', quantity: 1 + (n % 5) },
    { id: 'badger-stickers', quantity: 1 + (n % 3) },
  ];
  let ackedAt = 0;
  for (const line of cart) {
    const answer = await call(gatewayUrl, 'POST', '/Cart/Item', { token, body: line });
    expect(answer.status).toBe(201);
    ackedAt = Date.now();
  }
  return { token, cart, ackedAt };
}

const sorted = (cart: { id: string; quantity: number }[]) => [...cart].sort((a, b) => a.id.localeCompare(b.id));

it(
  'appendfsync everysec: carts acknowledged more than 2 s ' + 'before a SIGKILL of Redis are there after its restart',
  async () => {
    const front = storefront.front();
    const server = storefront.redis();

    const old = await inPool(Array.from({ length: OLD_CARTS }), 10, (_, n) => shopperWithCart(front.gateway.url, n));
    const lastOldAck = Math.max(...old.map((s) => s.ackedAt));
    // More than 2 s pass after the last acknowledged change of an "old" cart...
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    // ...while other shoppers keep changing carts right up to the kill.
    const recent = await inPool(Array.from({ length: RECENT_CARTS }), 10, (_, n) =>
      shopperWithCart(front.gateway.url, n),
    );
    const killedAt = Date.now();
    await server.kill();
    await server.start();
    await waitReady(
      front.all().map((service) => service.url),
      5_000,
    );

    const readBack = async (shopper: Shopper) => {
      const answer = await call(front.gateway.url, 'GET', '/Cart', { token: shopper.token });
      return (
        answer.status === 200 &&
        JSON.stringify(sorted(answer.body?.cart ?? [])) === JSON.stringify(sorted(shopper.cart))
      );
    };
    const oldKept = (await inPool(old, 10, readBack)).filter(Boolean).length;
    const recentKept = (await inPool(recent, 10, readBack)).filter(Boolean).length;
    report(
      `appendfsync everysec, SIGKILL ${((killedAt - lastOldAck) / 1000).toFixed(2)} s after the last old ack: ` +
        `carts acknowledged > 2 s before the kill kept ${oldKept}/${OLD_CARTS}; changed in the last ` +
        `${((killedAt - Math.min(...recent.map((s) => s.ackedAt))) / 1000).toFixed(2)} s kept ` +
        `${recentKept}/${RECENT_CARTS}`,
    );
    expect(killedAt - lastOldAck).toBeGreaterThan(2_000);
    expect(oldKept).toBe(OLD_CARTS);

    // In Redis too: the old carts' hashes are there (one key per cart, with its two lines).
    const check = connectTestRedis(server.url);
    try {
      const carts = await check.keys(`${storefront.prefix}cart:*`);
      expect(carts.length).toBeGreaterThanOrEqual(OLD_CARTS);
    } finally {
      check.disconnect();
    }
    expect(front.unexpectedExits()).toEqual([]);
  },
  60_000,
);
