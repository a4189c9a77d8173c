// Checkout's route through supertest on a real Redis: orders, declines, idempotency, concurrency, and
// the cart state left in Redis.
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { MAX_STORED_ANSWER_BYTES, createCartCache, type CartCache } from '@storefront/cart-cache';
import { pingRedis } from '@storefront/redis';
import { listItems } from '@storefront/catalog';
import {
  TEST_SECRET,
  freshShopper,
  gatedCalls,
  gatewayIdentity,
  uniquePrefix,
  useTestRedis,
} from '@storefront/test-kit';
import { createIdentityHandoff, createLogger } from '@storefront/service-kit';
import { createApp } from '../src/app';
import { fingerprintOf } from '../src/idempotency';
import { stubPaymentProcessor, type PaymentProcessor } from '../src/payment';

let redis: Redis;
let inspect: Redis;
let carts: CartCache;
let prefix: string;

function appWith(payments: PaymentProcessor = stubPaymentProcessor, cartCache = carts): Express {
  return createApp({
    carts: cartCache,
    handoff: createIdentityHandoff(TEST_SECRET),
    payments,
    logger: createLogger({ name: 'checkout', level: 'silent' }),
    checkReady: () => pingRedis(redis),
  });
}

const store = useTestRedis('checkout');
beforeAll(() => {
  redis = store.redis();
  inspect = store.inspect();
  prefix = uniquePrefix('checkout');
  carts = createCartCache({ redis, secret: TEST_SECRET, prefix });
});

const NO_BODY = Symbol('no body');

function checkout(app: Express, shopper: string, body: unknown = { payment: { token: 'tok_visa' } }, key?: string) {
  const req = request(app)
    .patch('/Cart/checkout')
    .set(gatewayIdentity(shopper, 'PATCH', '/Cart/checkout'));
  if (key !== undefined) req.set('Idempotency-Key', key);
  return body === NO_BODY ? req : req.send(body as object);
}

function expectError(res: request.Response, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

async function shopperKeys(): Promise<string[]> {
  return inspect.keys(`${prefix}*`);
}

describe('PATCH /Cart/checkout', () => {
  it('places an order priced from the catalog, and empties the cart in Redis', async () => {
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 2); // 12.50 each
    await carts.add(shopper, 'badger-socks', 1); // 8.99
    const res = await checkout(appWith(), shopper);
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Thanks for shopping with us!');
    expect(res.body.order).toEqual({
      id: expect.stringMatching(/^ord_/),
      items: expect.arrayContaining([
        { id: 'badger-mug', quantity: 2, unitPrice: 1250 },
        { id: 'badger-socks', quantity: 1, unitPrice: 899 },
      ]),
      total: 2 * 1250 + 899,
      currency: 'USD',
    });
    expect(await carts.read(shopper)).toEqual([]);
    expect(await shopperKeys()).not.toContainEqual(expect.stringMatching(/claim/));
  });

  it('answers 400 CART_EMPTY with the contract message for an empty cart', async () => {
    const res = await checkout(appWith(), freshShopper());
    expectError(res, 400, 'CART_EMPTY');
    expect(res.body.error.message).toBe('There are no items in your cart!');
  });

  it('answers 402 PAYMENT_DECLINED for tok_declined and keeps the cart', async () => {
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 2);
    expectError(await checkout(appWith(), shopper, { payment: { token: 'tok_declined' } }), 402, 'PAYMENT_DECLINED');
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 2 }]);
  });

  it.each([
    ['no body', NO_BODY],
    ['no payment', {}],
    ['a payment token that is not a string', { payment: { token: 42 } }],
    ['an empty payment token', { payment: { token: '' } }],
    ['an unknown field', { payment: { token: 'tok_visa' }, total: 1 }],
    ['a client price', { payment: { token: 'tok_visa', amount: 1 } }],
  ])('answers 400 INVALID_BODY for %s, leaving the cart alone', async (_case, body) => {
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    expectError(await checkout(appWith(), shopper, body), 400, 'INVALID_BODY');
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 1 }]);
  });

  it(
    'spends a hand-off on a refused checkout too: sent again ' + 'with a valid body, it is 401 and nothing is ordered',
    async () => {
      const shopper = freshShopper();
      await carts.add(shopper, 'badger-mug', 1);
      const handoffHeader = gatewayIdentity(shopper, 'PATCH', '/Cart/checkout');
      expectError(
        await request(appWith()).patch('/Cart/checkout').set(handoffHeader).send({ payment: {} }),
        400,
        'INVALID_BODY',
      );
      const replayed = await request(appWith())
        .patch('/Cart/checkout')
        .set(handoffHeader)
        .send({ payment: { token: 'tok_visa' } });
      expectError(replayed, 401, 'UNAUTHENTICATED');
      expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 1 }]);
    },
  );

  it('answers 401 without the gateway hand-off, and 405 with Allow for another method', async () => {
    expectError(
      await request(appWith())
        .patch('/Cart/checkout')
        .send({ payment: { token: 'x' } }),
      401,
      'UNAUTHENTICATED',
    );
    const res = await request(appWith()).get('/Cart/checkout');
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('PATCH');
  });

  it('keeps items added while the checkout runs, whether the payment goes through or not', async () => {
    for (const token of ['tok_visa', 'tok_declined']) {
      const shopper = freshShopper();
      await carts.add(shopper, 'badger-mug', 1);
      const payments = gatedCalls(stubPaymentProcessor.charge);
      const running = checkout(appWith({ charge: payments.call }), shopper, { payment: { token } }).then((res) => res);
      await payments.started;
      await carts.add(shopper, 'badger-tee', 1);
      await carts.add(shopper, 'badger-mug', 1);
      payments.release();
      const res = await running;
      const cart = await carts.read(shopper);
      if (token === 'tok_visa') {
        expect(res.body.order.items).toEqual([{ id: 'badger-mug', quantity: 1, unitPrice: 1250 }]);
        expect(cart).toEqual(
          expect.arrayContaining([
            { id: 'badger-tee', quantity: 1 },
            { id: 'badger-mug', quantity: 1 },
          ]),
        );
      } else {
        expect(res.status).toBe(402);
        expect(cart).toEqual(
          expect.arrayContaining([
            { id: 'badger-tee', quantity: 1 },
            { id: 'badger-mug', quantity: 2 },
          ]),
        );
      }
      expect(cart).toHaveLength(2);
    }
  });

  it(
    'places at most one order when two checkouts of one ' + 'cart race: the other gets 409 CHECKOUT_IN_PROGRESS',
    async () => {
      const shopper = freshShopper();
      await carts.add(shopper, 'badger-mug', 1);
      const payments = gatedCalls(stubPaymentProcessor.charge);
      const app = appWith({ charge: payments.call });
      const first = checkout(app, shopper).then((res) => res);
      await payments.started;
      const second = await checkout(app, shopper);
      expectError(second, 409, 'CHECKOUT_IN_PROGRESS');
      expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      payments.release();
      expect((await first).status).toBe(200);
      expectError(await checkout(app, shopper), 400, 'CART_EMPTY');
    },
  );
});

describe('Idempotency-Key', () => {
  it('replays the first answer, status and body, with Idempotent-Replayed, for the same key and body', async () => {
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    const first = await checkout(appWith(), shopper, { payment: { token: 'tok_visa' } }, 'order-1');
    expect(first.status).toBe(200);
    await carts.add(shopper, 'badger-tee', 1);
    // The same body as a JSON value: other key order and spacing.
    const retry = await request(appWith())
      .patch('/Cart/checkout')
      .set(gatewayIdentity(shopper, 'PATCH', '/Cart/checkout'))
      .set('Idempotency-Key', 'order-1')
      .set('Content-Type', 'application/json')
      .send('{ "payment" : { "token" : "tok_visa" } }');
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    // No second order: what was added after stays in the cart.
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-tee', quantity: 1 }]);
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body', async () => {
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    await checkout(appWith(), shopper, { payment: { token: 'tok_visa' } }, 'order-2');
    expectError(
      await checkout(appWith(), shopper, { payment: { token: 'tok_other' } }, 'order-2'),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('answers 409 IDEMPOTENCY_IN_PROGRESS with Retry-After while the first request runs', async () => {
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    const payments = gatedCalls(stubPaymentProcessor.charge);
    const app = appWith({ charge: payments.call });
    const first = checkout(app, shopper, undefined, 'order-3').then((res) => res);
    await payments.started;
    const second = await checkout(app, shopper, undefined, 'order-3');
    expectError(second, 409, 'IDEMPOTENCY_IN_PROGRESS');
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    payments.release();
    expect((await first).status).toBe(200);
    expect((await checkout(app, shopper, undefined, 'order-3')).headers['idempotent-replayed']).toBe('true');
  });

  it('stores a declined payment and an empty cart too, so a retry does not charge again', async () => {
    const shopper = freshShopper();
    expectError(await checkout(appWith(), shopper, undefined, 'empty-1'), 400, 'CART_EMPTY');
    await carts.add(shopper, 'badger-mug', 1);
    const replayedEmpty = await checkout(appWith(), shopper, undefined, 'empty-1');
    expectError(replayedEmpty, 400, 'CART_EMPTY');
    expect(replayedEmpty.headers['idempotent-replayed']).toBe('true');

    const declined = { payment: { token: 'tok_declined' } };
    expectError(await checkout(appWith(), shopper, declined, 'declined-1'), 402, 'PAYMENT_DECLINED');
    const replayed = await checkout(appWith(), shopper, declined, 'declined-1');
    expectError(replayed, 402, 'PAYMENT_DECLINED');
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 1 }]);
  });

  it('frees the key after a 5xx, with the lines back in the cart, so a retry can succeed', async () => {
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    const broken: PaymentProcessor = { charge: async () => Promise.reject(new Error('processor exploded')) };
    const failed = await checkout(appWith(broken), shopper, undefined, 'retry-1');
    expectError(failed, 500, 'INTERNAL');
    expect(JSON.stringify(failed.body)).not.toMatch(/exploded|at /);
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 1 }]);
    const retried = await checkout(appWith(), shopper, undefined, 'retry-1');
    expect(retried.status).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it(
    'stores a 400 INVALID_BODY for the key too: the same ' + 'body replays it, a corrected body is a reused key',
    async () => {
      const shopper = freshShopper();
      await carts.add(shopper, 'badger-mug', 1);
      const invalid = { payment: {} };
      expectError(await checkout(appWith(), shopper, invalid, 'bad-body-1'), 400, 'INVALID_BODY');
      const replayed = await checkout(appWith(), shopper, invalid, 'bad-body-1');
      expectError(replayed, 400, 'INVALID_BODY');
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expectError(await checkout(appWith(), shopper, undefined, 'bad-body-1'), 422, 'IDEMPOTENCY_KEY_REUSED');
      expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 1 }]);
    },
  );

  it('refuses a malformed key with 400 INVALID_BODY and records nothing but the spent hand-offs', async () => {
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    const before = await shopperKeys();
    expectError(await checkout(appWith(), shopper, undefined, 'x'.repeat(256)), 400, 'INVALID_BODY');
    expectError(await checkout(appWith(), shopper, undefined, 'tab\there'), 400, 'INVALID_BODY');
    const added = (await shopperKeys()).filter((key) => !before.includes(key));
    // A refused request spends its hand-off too (it is single-use whatever the outcome): nothing else.
    expect(added).toHaveLength(2);
    for (const key of added) expect(key).toContain(':handoff:');
  });

  it('scopes keys per shopper and keeps the record 24 hours, under a key without the raw Idempotency-Key', async () => {
    const [alice, bob] = [freshShopper(), freshShopper()];
    await carts.add(alice, 'badger-mug', 1);
    await carts.add(bob, 'badger-tee', 1);
    expect((await checkout(appWith(), alice, undefined, 'same-key')).status).toBe(200);
    const bobs = await checkout(appWith(), bob, undefined, 'same-key');
    expect(bobs.status).toBe(200);
    expect(bobs.headers['idempotent-replayed']).toBeUndefined();
    const records = (await shopperKeys()).filter((key) => key.includes(':idem:'));
    expect(records.some((key) => key.includes('same-key'))).toBe(false);
    for (const key of records) expect(await inspect.pttl(key)).toBeGreaterThan(23 * 3600 * 1000);
  });
});

describe('what an Idempotency-Key can make Redis keep', () => {
  const recordKeys = async () => (await shopperKeys()).filter((key) => key.includes(':idem:'));

  it(
    'stores a 400 for a body with a 16,300-character unknown ' + 'key in well under 2 KB, echoing 64 characters of it',
    async () => {
      const shopper = freshShopper();
      const before = new Set(await recordKeys());
      const body = { payment: { token: 'x' }, ['k'.repeat(16_300)]: 1 };
      const res = await checkout(appWith(), shopper, body, 'big-unknown-key');
      expectError(res, 400, 'INVALID_BODY');
      expect(Math.max(...(res.body.error.message.match(/k+/g) ?? ['']).map((run: string) => run.length))).toBe(64);
      const [record] = (await recordKeys()).filter((key) => !before.has(key));
      const bytes = Number(await inspect.memory('USAGE', record));
      expect(bytes).toBeLessThanOrEqual(MAX_STORED_ANSWER_BYTES);
      expect((await checkout(appWith(), shopper, body, 'big-unknown-key')).headers['idempotent-replayed']).toBe('true');
    },
  );

  it('answers a body nested 8,000 levels deep with 400, not 500, with or without a key', async () => {
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    const deep = `{"payment":{"token":"x"},"deep":${'['.repeat(8_000)}1${']'.repeat(8_000)}}`;
    for (const key of ['deep-1', undefined]) {
      const req = request(appWith())
        .patch('/Cart/checkout')
        .set(gatewayIdentity(shopper, 'PATCH', '/Cart/checkout'));
      if (key) req.set('Idempotency-Key', key);
      expectError(await req.set('Content-Type', 'application/json').send(deep), 400, 'INVALID_BODY');
    }
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 1 }]);
  });

  it('fingerprints a value of any depth without recursion, equal for equal JSON values', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = i % 2 ? [deep] : { '': deep };
    expect(fingerprintOf(deep)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fingerprintOf({ b: [1, { d: 2, c: 3 }], a: null })).toBe(fingerprintOf({ a: null, b: [1, { c: 3, d: 2 }] }));
    expect(fingerprintOf({ a: [1, 2] })).not.toBe(fingerprintOf({ a: [2, 1] }));
  });

  it('fits the largest order the catalog allows in a stored answer', async () => {
    const big = createCartCache({ redis, secret: TEST_SECRET, prefix, limits: { maxQuantity: 1_000_000 } });
    const shopper = freshShopper();
    for (const item of listItems()) await big.add(shopper, item.id, 999_999);
    const res = await checkout(appWith(stubPaymentProcessor, big), shopper, undefined, 'largest-order');
    expect(res.status).toBe(200);
    expect(res.body.order.items).toHaveLength(listItems().length);
    expect(Buffer.byteLength(res.text)).toBeLessThanOrEqual(MAX_STORED_ANSWER_BYTES);
  });

  it('keeps at most idempotencyMaxRecords keys per shopper: a new one past that is 429 with Retry-After', async () => {
    const capped = createCartCache({ redis, secret: TEST_SECRET, prefix, idempotencyMaxRecords: 3 });
    const app = appWith(stubPaymentProcessor, capped);
    const [shopper, other] = [freshShopper(), freshShopper()];
    const before = new Set(await recordKeys());
    for (const key of ['cap-1', 'cap-2', 'cap-3'])
      expectError(await checkout(app, shopper, undefined, key), 400, 'CART_EMPTY');
    const refused = await checkout(app, shopper, undefined, 'cap-4');
    expectError(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(23 * 3600);
    // Invalid bodies count the same, and the keys already used still replay.
    expectError(await checkout(app, shopper, { payment: {} }, 'cap-5'), 429, 'RATE_LIMITED');
    expect((await checkout(app, shopper, undefined, 'cap-2')).headers['idempotent-replayed']).toBe('true');
    // Another shopper has a budget of its own, and a checkout without a key is never refused for it.
    expectError(await checkout(app, other, undefined, 'cap-1'), 400, 'CART_EMPTY');
    expectError(await checkout(app, shopper), 400, 'CART_EMPTY');
    expect((await recordKeys()).filter((key) => !before.has(key))).toHaveLength(4);
    const indexes = (await shopperKeys()).filter((key) => key.includes(':idem-index:'));
    for (const index of indexes) expect(await inspect.pttl(index)).toBeGreaterThan(23 * 3600 * 1000);
  });

  it('frees a key whose checkout failed with a 5xx, from the index too', async () => {
    const capped = createCartCache({ redis, secret: TEST_SECRET, prefix, idempotencyMaxRecords: 1 });
    const failing: PaymentProcessor = { charge: async () => Promise.reject(new Error('processor down')) };
    const shopper = freshShopper();
    await capped.add(shopper, 'badger-mug', 1);
    expect((await checkout(appWith(failing, capped), shopper, undefined, 'five-hundred')).status).toBe(500);
    expect((await checkout(appWith(stubPaymentProcessor, capped), shopper, undefined, 'another')).status).toBe(200);
  });
});
