// The whole storefront, end to end: gateway, inventory and checkout started together on a real Redis,
// driven only through the gateway as a client would. npm run test:topologies runs it on a Redis
// Cluster and on Sentinel too.
import type { Cluster, Redis } from 'ioredis';
import { stubPaymentProcessor, type PaymentRequest, type PaymentResult } from '@storefront/checkout/server';
import {
  gatedCalls,
  gatewayIdentity,
  inspectTestStore,
  keysMatching,
  testRedisEnv,
  type Gate,
} from '@storefront/test-kit';
import { call, newSession, startStorefront, type Storefront } from './storefront-harness';

const pay = (token = 'tok_visa') => ({ payment: { token } });
let store: Storefront;
let inspect: Redis | Cluster;

beforeAll(async () => {
  store = await startStorefront({ redisEnv: testRedisEnv() });
  inspect = inspectTestStore();
});
afterAll(async () => {
  await store.stop();
  await inspect.quit();
});

it('a shopper signs in, adds, views, checks out, and finds the cart empty after', async () => {
  const base = store.gatewayUrl;
  const token = await newSession(base);
  const items = await call(base, 'GET', '/Items');
  expect(items.status).toBe(200);
  expect(items.body?.items?.length).toBeGreaterThanOrEqual(12);

  expect((await call(base, 'POST', '/Cart/Item', { token, body: { id: 'badger-mug', quantity: 2 } })).status).toBe(201);
  expect((await call(base, 'POST', '/Cart/Item', { token, body: { id: 'badger-tee' } })).status).toBe(201);
  expect((await call(base, 'PUT', '/Cart/Item/badger-tee', { token, body: { quantity: 3 } })).status).toBe(200);
  const cart = await call(base, 'GET', '/Cart', { token });
  expect(cart.body?.cart).toEqual(
    expect.arrayContaining([
      { id: 'badger-mug', quantity: 2 },
      { id: 'badger-tee', quantity: 3 },
    ]),
  );

  const order = await call(base, 'PATCH', '/Cart/checkout', { token, body: pay() });
  expect(order.status).toBe(200);
  expect(order.body).toMatchObject({
    message: 'Thanks for shopping with us!',
    order: { total: 2 * 1250 + 3 * 2400, currency: 'USD' },
  });
  expect((await call(base, 'GET', '/Cart', { token })).body).toEqual({ cart: [] });
  expect(await keysMatching(inspect, `${store.prefix}cart:*`)).toEqual([]);
});

it('a declined payment answers 402 and keeps the cart', async () => {
  const token = await newSession(store.gatewayUrl);
  await call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-hoodie' } });
  const declined = await call(store.gatewayUrl, 'PATCH', '/Cart/checkout', { token, body: pay('tok_declined') });
  expect(declined.status).toBe(402);
  expect(declined.body?.error?.code).toBe('PAYMENT_DECLINED');
  expect((await call(store.gatewayUrl, 'GET', '/Cart', { token })).body).toEqual({
    cart: [{ id: 'badger-hoodie', quantity: 1 }],
  });
});

it('an Idempotency-Key replays the first answer, and refuses reuse with another body', async () => {
  const token = await newSession(store.gatewayUrl);
  await call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-wallet' } });
  const headers = { 'Idempotency-Key': 'e2e-order-1' };
  const first = await call(store.gatewayUrl, 'PATCH', '/Cart/checkout', { token, body: pay(), headers });
  const again = await call(store.gatewayUrl, 'PATCH', '/Cart/checkout', { token, body: pay(), headers });
  expect(again.status).toBe(first.status);
  expect(again.body).toEqual(first.body);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  const reused = await call(store.gatewayUrl, 'PATCH', '/Cart/checkout', { token, body: pay('tok_other'), headers });
  expect(reused.status).toBe(422);
  expect(reused.body?.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
});

describe('with a payment held open', () => {
  let slow: Storefront;
  let payments: Gate<[PaymentRequest], PaymentResult>;
  beforeEach(async () => {
    payments = gatedCalls(stubPaymentProcessor.charge);
    slow = await startStorefront({ redisEnv: testRedisEnv(), payments: { charge: payments.call } });
  });
  afterEach(async () => {
    payments.release();
    await slow.stop();
  });

  it('a retry while the first runs gets 409 IDEMPOTENCY_IN_PROGRESS, then the replay', async () => {
    const token = await newSession(slow.gatewayUrl);
    await call(slow.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-mug' } });
    const headers = { 'Idempotency-Key': 'e2e-order-2' };
    const first = call(slow.gatewayUrl, 'PATCH', '/Cart/checkout', { token, body: pay(), headers });
    await payments.started;
    const during = await call(slow.gatewayUrl, 'PATCH', '/Cart/checkout', { token, body: pay(), headers });
    expect(during.status).toBe(409);
    expect(during.body?.error?.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    payments.release();
    expect((await first).status).toBe(200);
    const after = await call(slow.gatewayUrl, 'PATCH', '/Cart/checkout', { token, body: pay(), headers });
    expect(after.headers.get('idempotent-replayed')).toBe('true');
  });

  it('items added during a checkout are not lost', async () => {
    const token = await newSession(slow.gatewayUrl);
    await call(slow.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-mug' } });
    const running = call(slow.gatewayUrl, 'PATCH', '/Cart/checkout', { token, body: pay() });
    await payments.started;
    expect(
      (await call(slow.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-socks', quantity: 2 } })).status,
    ).toBe(201);
    payments.release();
    const order = await running;
    expect(order.body?.order?.items).toEqual([{ id: 'badger-mug', quantity: 1, unitPrice: 1250 }]);
    expect((await call(slow.gatewayUrl, 'GET', '/Cart', { token })).body).toEqual({
      cart: [{ id: 'badger-socks', quantity: 2 }],
    });
  });
});

describe('identity', () => {
  it('a service refuses a request made straight to it, with a valid session token or a forged hand-off', async () => {
    const token = await newSession(store.gatewayUrl);
    for (const base of [store.inventoryUrl, store.checkoutUrl]) {
      const path = base === store.inventoryUrl ? '/Cart' : '/Cart/checkout';
      const method = base === store.inventoryUrl ? 'GET' : 'PATCH';
      const withToken = await call(base, method, path, { token, body: method === 'PATCH' ? pay() : undefined });
      expect(withToken.status).toBe(401);
      const forged = await call(base, method, path, {
        headers: { 'x-storefront-identity': `v1.someone.${Date.now() + 10_000}.Zm9yZ2Vk` },
        body: method === 'PATCH' ? pay() : undefined,
      });
      expect(forged.status).toBe(401);
      expect(forged.body?.error?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('a hand-off signed with the wrong secret is refused even when well-formed', async () => {
    // gatewayIdentity signs with the test secret, which this storefront also uses: tamper with it.
    const header = gatewayIdentity('someone', 'GET', '/Cart')['x-storefront-identity'];
    const tampered = header.replace('someone', 'someone-else');
    expect(
      (await call(store.inventoryUrl, 'GET', '/Cart', { headers: { 'x-storefront-identity': tampered } })).status,
    ).toBe(401);
    expect(
      (await call(store.inventoryUrl, 'GET', '/Cart', { headers: { 'x-storefront-identity': header } })).status,
    ).toBe(200);
  });

  it('the gateway replaces an identity header sent by a client', async () => {
    const alice = await newSession(store.gatewayUrl);
    const bob = await newSession(store.gatewayUrl);
    await call(store.gatewayUrl, 'POST', '/Cart/Item', { token: alice, body: { id: 'badger-plush' } });
    const aliceHandoff = gatewayIdentity('whoever', 'GET', '/Cart');
    const bobsView = await call(store.gatewayUrl, 'GET', '/Cart', { token: bob, headers: aliceHandoff });
    expect(bobsView.body).toEqual({ cart: [] });
  });
});

it('a restarted gateway keeps serving the same sessions and carts', async () => {
  const token = await newSession(store.gatewayUrl);
  await call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-tote' } });
  await store.restartGateway();
  expect((await call(store.gatewayUrl, 'GET', '/Cart', { token })).body).toEqual({
    cart: [{ id: 'badger-tote', quantity: 1 }],
  });
});

it(
  'every error through the gateway is JSON in the contract ' + 'shape with security headers, unknown routes included',
  async () => {
    const token = await newSession(store.gatewayUrl);
    for (const [method, path, body, status, code] of [
      ['GET', '/nowhere', undefined, 404, 'NOT_FOUND'],
      ['GET', '/Cart/nowhere', undefined, 404, 'NOT_FOUND'],
      ['GET', '/Items/no-such-badger', undefined, 404, 'ITEM_NOT_FOUND'],
      ['DELETE', '/Cart', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/Cart/checkout', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['POST', '/Cart/Item', { id: 'badger-mug', quantity: 'lots' }, 400, 'INVALID_BODY'],
      ['POST', '/Cart/Item', { id: 'badger-mug', quantity: 100 }, 422, 'CART_LIMIT'],
      ['PATCH', '/Cart/checkout', pay(), 400, 'CART_EMPTY'],
    ] as const) {
      const answer = await call(store.gatewayUrl, method, path, { token, body });
      expect({ path, status: answer.status, code: answer.body?.error?.code }).toEqual({ path, status, code });
      expect(answer.headers.get('x-request-id')).toBeTruthy();
      // Security headers on errors too, whether the gateway or a service answered, and no X-Powered-By.
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('content-security-policy')).toBeTruthy();
      expect(answer.headers.get('x-powered-by')).toBeNull();
    }
  },
);
