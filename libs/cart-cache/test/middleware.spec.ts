// The middleware on a tiny throwaway app: req.userToken from the signed hand-off only, req.cart loaded
// on routes that ask for it, and Redis trouble answered as 503 CART_UNAVAILABLE.
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createCartCache, loadCart, requireShopper, shopperOf } from '@storefront/cart-cache';
import type { RedisConnection } from '@storefront/redis';
import { TEST_SECRET, connectTestStore, freshShopper, uniquePrefix } from '@storefront/test-kit';
import { IDENTITY_HEADER, createIdentityHandoff, createLogger, errorHandler } from '@storefront/service-kit';

const handoff = createIdentityHandoff(TEST_SECRET);
let connection: RedisConnection;
let carts: ReturnType<typeof createCartCache>;

beforeAll(async () => {
  connection = await connectTestStore();
  carts = createCartCache({ redis: connection.client, secret: TEST_SECRET, prefix: uniquePrefix('middleware') });
});
afterAll(() => connection.close());

function appWith(cache = carts) {
  const app = express();
  app.get('/whoami', requireShopper(handoff), (req, res) => {
    res.json({ userToken: req.userToken, cart: req.cart ?? null });
  });
  app.get('/Cart', requireShopper(handoff), loadCart(cache), (req, res) => {
    res.json({ cart: req.cart });
  });
  app.post('/Cart/Item', requireShopper(handoff), async (req, res) => {
    res.status(201).json({ cart: await cache.add(shopperOf(req), 'badger-mug', 1) });
  });
  app.use(errorHandler(createLogger({ name: 'test', level: 'silent' })));
  return app;
}

describe('requireShopper', () => {
  it(
    'sets req.userToken from a genuine hand-off and spends ' + 'no Redis round trip when the route reads no cart',
    async () => {
      const shopper = freshShopper();
      // Counted where this process sends them (the server's own counters see sentinels and other tests too).
      const sent = jest.spyOn(Redis.prototype, 'sendCommand');
      try {
        const res = await request(appWith())
          .get('/whoami')
          .set(IDENTITY_HEADER, handoff.sign(shopper, { method: 'GET', url: '/whoami' }));
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ userToken: shopper, cart: null });
        expect(sent).not.toHaveBeenCalled();
      } finally {
        sent.mockRestore();
      }
    },
  );

  it.each([
    ['no header', undefined],
    ['a raw token', 'some-session-token'],
    ['a forged signature', `v1.shopper.${Date.now() + 10_000}.AAAAAAAAAAAAAAAA.AAAA`],
    ['an expired hand-off', handoff.sign('shopper', { method: 'GET', url: '/whoami' }, Date.now() - 60_000)],
    ['a hand-off made for another path', handoff.sign('shopper', { method: 'GET', url: '/Cart' })],
    ['a hand-off made for another method', handoff.sign('shopper', { method: 'POST', url: '/whoami' })],
    [
      'a hand-off signed with another secret',
      createIdentityHandoff('x'.repeat(40)).sign('shopper', { method: 'GET', url: '/whoami' }),
    ],
  ])('refuses %s with 401 UNAUTHENTICATED', async (_case, header) => {
    const req = request(appWith()).get('/whoami');
    if (header !== undefined) req.set(IDENTITY_HEADER, header);
    const res = await req;
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });
});

describe('a replayed hand-off', () => {
  it('is refused with 401 once a cart operation has spent it, on every route, at no extra round trip', async () => {
    const shopper = freshShopper();
    const read = handoff.sign(shopper, { method: 'GET', url: '/Cart' });
    expect((await request(appWith()).get('/Cart').set(IDENTITY_HEADER, read)).status).toBe(200);
    const replayedRead = await request(appWith()).get('/Cart').set(IDENTITY_HEADER, read);
    expect(replayedRead.status).toBe(401);
    expect(replayedRead.body.error.message).toMatch(/already used/);

    const add = handoff.sign(shopper, { method: 'POST', url: '/Cart/Item' });
    expect((await request(appWith()).post('/Cart/Item').set(IDENTITY_HEADER, add)).status).toBe(201);
    expect((await request(appWith()).post('/Cart/Item').set(IDENTITY_HEADER, add)).status).toBe(401);
    // The replay changed nothing.
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 1 }]);
  });
});

describe('loadCart', () => {
  it('puts the shopper cart on req.cart', async () => {
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-tee', 3);
    const res = await request(appWith())
      .get('/Cart')
      .set(IDENTITY_HEADER, handoff.sign(shopper, { method: 'GET', url: '/Cart' }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cart: [{ id: 'badger-tee', quantity: 3 }] });
  });
});
