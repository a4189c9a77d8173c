// Redis runs an add, and its reply is lost on the way back (the connection is cut between
// Redis's answer and inventory). Inventory cannot know whether the add happened, so the client gets a
// 503 CART_UNAVAILABLE, and yet the add WAS applied. This is why a client must re-read the cart
// before it retries an add (docs/DECISIONS.md "Redis down or slow"): adds are not idempotent, and a
// blind retry adds twice.
import { connectTestRedis, waitReady } from '@storefront/test-kit';
import { call, newSession, report } from '../support/http';
import { useFaultStorefront } from './fault-scaffold';

// Only inventory (which runs every cart change) goes through the proxy: the gateway's session check
// must not be the connection that gets cut.
const storefront = useFaultStorefront('faults-lost-reply', { proxied: ['inventory'] });

it(
  'an add whose reply is lost after Redis applied it: the ' +
    'client sees 503 CART_UNAVAILABLE, and the add was applied',
  async () => {
    const front = storefront.front();
    const link = storefront.proxy();
    const token = await newSession(front.gateway.url);
    // A first add loads the cart script into Redis, so the add under test is one EVALSHA that runs (a
    // NOSCRIPT answer would be cut instead, and nothing would have been applied).
    expect((await call(front.gateway.url, 'POST', '/Cart/Item', { token, body: { id: 'badger-mug' } })).status).toBe(
      201,
    );

    // Cut inventory's connection right after the command carrying this item id reaches Redis: the
    // proxy drops Redis's reply and closes both sides.
    const cut = link.dropNextReply((request) => request.includes('badger-wallet'));
    const add = await call(front.gateway.url, 'POST', '/Cart/Item', {
      token,
      body: { id: 'badger-wallet', quantity: 1 },
    });
    const dropped = await cut;

    // Inventory reconnects by itself; read the cart once it serves again.
    await waitReady([front.inventory.url], 5_000);
    const reread = await call(front.gateway.url, 'GET', '/Cart', { token });
    const wallet = (reread.body?.cart ?? []).find((line: { id: string }) => line.id === 'badger-wallet');
    // What a client that retried blindly (without re-reading) would get: the item twice.
    const blindRetry = await call(front.gateway.url, 'POST', '/Cart/Item', {
      token,
      body: { id: 'badger-wallet', quantity: 1 },
    });
    const blindLine = (blindRetry.body?.cart ?? []).find((line: { id: string }) => line.id === 'badger-wallet');

    const commandName = /EVALSHA|EVAL|FCALL/i.exec(dropped.request.toString('latin1'))?.[0] ?? '?';
    report(
      `reply lost after Redis applied the add: the proxy cut a ${commandName} (${dropped.request.length} B sent, ` +
        `${dropped.reply.length} B reply dropped); ` +
        `client got ${add.status} ${add.body?.error?.code} in ${add.ms} ms; the cart re-read after: badger-wallet ` +
        `x${wallet?.quantity ?? 0}; ` +
        `a blind retry would make it x${blindLine?.quantity ?? '?'}`,
    );

    expect({ status: add.status, code: add.body?.error?.code }).toEqual({ status: 503, code: 'CART_UNAVAILABLE' });
    expect(Number(add.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(add.ms).toBeLessThan(1_000);
    // The add WAS applied, although the client was told it could not be.
    expect(reread.status).toBe(200);
    expect(wallet).toEqual({ id: 'badger-wallet', quantity: 1 });
    expect(blindLine).toEqual({ id: 'badger-wallet', quantity: 2 });

    // The same in Redis itself: one cart, with the first mug and the wallet twice.
    const check = connectTestRedis(storefront.redis().url);
    try {
      const carts = await check.keys(`${storefront.prefix}cart:*`);
      expect(carts).toHaveLength(1);
      expect(await check.hgetall(carts[0])).toEqual({ 'badger-mug': '1', 'badger-wallet': '2' });
    } finally {
      check.disconnect();
    }
    expect(front.unexpectedExits()).toEqual([]);
  },
  30_000,
);
