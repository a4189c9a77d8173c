// Inventory's routes through supertest on a real Redis: every answer of the contract it can give, and the
// cart state left in Redis.
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { createCartCache } from '@storefront/cart-cache';
import { pingRedis } from '@storefront/redis';
import { TEST_SECRET, freshShopper, gatewayIdentity, uniquePrefix, useTestRedis } from '@storefront/test-kit';
import { listItems } from '@storefront/catalog';
import { createIdentityHandoff, createLogger } from '@storefront/service-kit';
import { createApp } from '../src/app';

const store = useTestRedis('inventory');
let redis: Redis;
let inspect: Redis;
let app: Express;
const prefix = uniquePrefix('inventory');

beforeAll(() => {
  redis = store.redis();
  inspect = store.inspect();
  app = createApp({
    carts: createCartCache({ redis, secret: TEST_SECRET, prefix, limits: { maxLines: 3 } }),
    handoff: createIdentityHandoff(TEST_SECRET),
    logger: createLogger({ name: 'inventory', level: 'silent' }),
    checkReady: () => pingRedis(redis),
  });
});

/** A request as the gateway would forward it for `shopper`. */
function as(shopper: string, method: 'get' | 'post' | 'put' | 'delete' | 'patch', url: string) {
  return request(app)
    [method](url)
    .set(gatewayIdentity(shopper, method.toUpperCase(), url));
}

async function storedCart(): Promise<Record<string, string>[]> {
  const keys = await inspect.keys(`${prefix}cart:*`);
  return Promise.all(keys.map((key) => inspect.hgetall(key)));
}

function expectError(res: request.Response, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(typeof res.body.error.message).toBe('string');
  expect(res.headers['content-type']).toMatch(/application\/json/);
}

describe('catalog', () => {
  it('lists every item with id, name, price in cents and currency', async () => {
    const res = await request(app).get('/Items');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual(listItems());
    expect(res.body.items.length).toBeGreaterThanOrEqual(12);
  });

  it('shows one item, case-insensitive path and trailing slash included', async () => {
    const res = await request(app).get('/items/badger-mug/');
    expect(res.status).toBe(200);
    expect(res.body.item).toMatchObject({ id: 'badger-mug', price: 1250, currency: 'USD' });
  });

  it('answers 404 ITEM_NOT_FOUND for an unknown or malformed id', async () => {
    expectError(await request(app).get('/Items/no-such-badger'), 404, 'ITEM_NOT_FOUND');
    expectError(await request(app).get('/Items/bad%20id'), 404, 'ITEM_NOT_FOUND');
    expectError(await request(app).get('/Items/%ZZ'), 404, 'ITEM_NOT_FOUND');
  });

  it('answers 405 with Allow for another method on a known path', async () => {
    const res = await request(app).post('/Items');
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('answers 404 NOT_FOUND in the error shape for an unknown route', async () => {
    expectError(await request(app).get('/nowhere'), 404, 'NOT_FOUND');
  });
});

describe('cart', () => {
  it('refuses every cart route without the gateway hand-off, a valid-looking token included', async () => {
    for (const [method, url] of [
      ['get', '/Cart'],
      ['post', '/Cart/Item'],
      ['put', '/Cart/Item/badger-mug'],
      ['delete', '/Cart/Item/badger-mug'],
    ] as const) {
      const res = await request(app)
        [method](url)
        .set('Authorization', 'Bearer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
      expectError(res, 401, 'UNAUTHENTICATED');
    }
  });

  it('spends a hand-off on its first use even when that request is refused: sent again, it is 401', async () => {
    const refusals: Array<[method: 'post' | 'put', url: string, refused: object, status: number, valid: object]> = [
      ['post', '/Cart/Item', { id: 'not-in-the-catalog' }, 404, { id: 'badger-mug' }],
      ['post', '/Cart/Item', { id: 'badger-mug', quantity: 'two' }, 400, { id: 'badger-mug' }],
      ['post', '/Cart/Item', { id: 'badger-mug', quantity: 1_000 }, 422, { id: 'badger-mug' }],
      ['put', '/Cart/Item/badger-mug', { quantity: -1 }, 400, { quantity: 2 }],
    ];
    for (const [method, url, refused, status, valid] of refusals) {
      const shopper = freshShopper();
      const handoffHeader = gatewayIdentity(shopper, method.toUpperCase(), url);
      expect((await request(app)[method](url).set(handoffHeader).send(refused)).status).toBe(status);
      expectError(await request(app)[method](url).set(handoffHeader).send(valid), 401, 'UNAUTHENTICATED');
      expect(await as(shopper, 'get', '/Cart').then((res) => res.body.cart)).toEqual([]);
    }
  });

  it('shows an unknown cart as empty', async () => {
    const res = await as(freshShopper(), 'get', '/Cart');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cart: [] });
  });

  it('adds an item (quantity 1 by default), adds to an existing line, and stores it in Redis', async () => {
    const shopper = freshShopper();
    let res = await as(shopper, 'post', '/Cart/Item').send({ id: 'badger-mug' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ cart: [{ id: 'badger-mug', quantity: 1 }] });
    res = await as(shopper, 'post', '/Cart/Item').send({ id: 'badger-mug', quantity: 4 });
    expect(res.body).toEqual({ cart: [{ id: 'badger-mug', quantity: 5 }] });
    expect((await as(shopper, 'get', '/Cart')).body).toEqual({ cart: [{ id: 'badger-mug', quantity: 5 }] });
    expect(await storedCart()).toContainEqual({ 'badger-mug': '5' });
  });

  it('sets a line with PUT, creating it, and removes it at quantity 0', async () => {
    const shopper = freshShopper();
    let res = await as(shopper, 'put', '/Cart/Item/badger-tee').send({ quantity: 3 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cart: [{ id: 'badger-tee', quantity: 3 }] });
    res = await as(shopper, 'put', '/Cart/Item/badger-tee').send({ quantity: 0 });
    expect(res.body).toEqual({ cart: [] });
  });

  it('deletes a line; deleting an absent line or an item outside the catalog is 200', async () => {
    const shopper = freshShopper();
    await as(shopper, 'post', '/Cart/Item').send({ id: 'badger-mug' });
    let res = await as(shopper, 'delete', '/Cart/Item/badger-mug');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cart: [] });
    res = await as(shopper, 'delete', '/Cart/Item/never-sold-here');
    expect(res.status).toBe(200);
    expectError(await as(shopper, 'delete', '/Cart/Item/bad%20id'), 404, 'ITEM_NOT_FOUND');
    expectError(await as(shopper, 'delete', '/Cart/Item/%E0%A4'), 404, 'ITEM_NOT_FOUND');
  });

  it.each([
    ['a missing body', undefined],
    ['an id of the wrong shape', { id: 'bad id!' }],
    ['a missing id', { quantity: 1 }],
    ['a quantity of 0', { id: 'badger-mug', quantity: 0 }],
    ['a fractional quantity', { id: 'badger-mug', quantity: 1.5 }],
    ['a quantity as a string', { id: 'badger-mug', quantity: '2' }],
    ['an unknown field', { id: 'badger-mug', price: 1 }],
    ['an array', [{ id: 'badger-mug' }]],
  ])('answers 400 INVALID_BODY to POST /Cart/Item with %s', async (_case, body) => {
    const shopper = freshShopper();
    const req = as(shopper, 'post', '/Cart/Item');
    const cartsBefore = (await storedCart()).length;
    expectError(await (body === undefined ? req : req.send(body as object)), 400, 'INVALID_BODY');
    expect((await as(shopper, 'get', '/Cart')).body).toEqual({ cart: [] });
    expect((await storedCart()).length).toBe(cartsBefore);
  });

  it('answers 400 INVALID_BODY to malformed JSON and to a negative PUT quantity', async () => {
    const shopper = freshShopper();
    const res = await as(shopper, 'post', '/Cart/Item').set('Content-Type', 'application/json').send('{"id": ');
    expectError(res, 400, 'INVALID_BODY');
    expectError(await as(shopper, 'put', '/Cart/Item/badger-mug').send({ quantity: -1 }), 400, 'INVALID_BODY');
  });

  it('answers 415 to a body that is not JSON, and 413 to a body over 16 KiB', async () => {
    const shopper = freshShopper();
    const res = await as(shopper, 'post', '/Cart/Item').set('Content-Type', 'text/plain').send('id=badger-mug');
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const big = { id: 'badger-mug', padding: 'x'.repeat(17 * 1024) };
    expectError(await as(shopper, 'post', '/Cart/Item').send(big), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 404 ITEM_NOT_FOUND for an item outside the catalog, in a body or a path', async () => {
    const shopper = freshShopper();
    expectError(await as(shopper, 'post', '/Cart/Item').send({ id: 'no-such-badger' }), 404, 'ITEM_NOT_FOUND');
    expectError(await as(shopper, 'put', '/Cart/Item/no-such-badger').send({ quantity: 1 }), 404, 'ITEM_NOT_FOUND');
  });

  it('answers 422 CART_LIMIT past a limit and leaves the cart as it was', async () => {
    const shopper = freshShopper();
    await as(shopper, 'post', '/Cart/Item').send({ id: 'badger-mug', quantity: 98 });
    expectError(await as(shopper, 'post', '/Cart/Item').send({ id: 'badger-mug', quantity: 2 }), 422, 'CART_LIMIT');
    expectError(await as(shopper, 'post', '/Cart/Item').send({ id: 'badger-tee', quantity: 100 }), 422, 'CART_LIMIT');
    expectError(await as(shopper, 'put', '/Cart/Item/badger-tee').send({ quantity: 100 }), 422, 'CART_LIMIT');
    // An integer beyond any limit is still an integer: over the limit, not malformed.
    const huge = as(shopper, 'post', '/Cart/Item').set('Content-Type', 'application/json');
    expectError(await huge.send('{"id": "badger-tee", "quantity": 1e20}'), 422, 'CART_LIMIT');
    // Past Number.MAX_SAFE_INTEGER, sent as written (a number literal would be rounded before it is sent).
    const unsafe = as(shopper, 'put', '/Cart/Item/badger-tee').set('Content-Type', 'application/json');
    expectError(await unsafe.send('{"quantity": 9007199254740993}'), 422, 'CART_LIMIT');
    await as(shopper, 'post', '/Cart/Item').send({ id: 'badger-tee' });
    await as(shopper, 'post', '/Cart/Item').send({ id: 'badger-socks' });
    // This app allows 3 lines.
    expectError(await as(shopper, 'post', '/Cart/Item').send({ id: 'badger-tote' }), 422, 'CART_LIMIT');
    const cart = (await as(shopper, 'get', '/Cart')).body.cart;
    expect(cart).toHaveLength(3);
    expect(cart).toContainEqual({ id: 'badger-mug', quantity: 98 });
  });

  it('answers 405 with Allow on the cart paths', async () => {
    const shopper = freshShopper();
    const res = await as(shopper, 'patch', '/Cart/Item/badger-mug');
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('PUT, DELETE');
    expect((await as(shopper, 'get', '/Cart/Item')).headers.allow).toBe('POST');
  });
});

describe('health', () => {
  it('answers /healthz and /readyz (Redis answers a PING)', async () => {
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(app).get('/readyz')).body).toEqual({ status: 'ready' });
  });

  it('echoes a valid X-Request-Id and replaces an invalid one', async () => {
    expect((await request(app).get('/healthz').set('X-Request-Id', 'abc-123')).headers['x-request-id']).toBe('abc-123');
    const replaced = (await request(app).get('/healthz').set('X-Request-Id', 'has space')).headers['x-request-id'];
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
  });
});
