// The gateway on a real Redis, in front of a stand-in service that echoes what it received: sessions,
// authentication, routing, and what is and is not forwarded (gateway-connections.spec.ts: what clients
// send, and answers when a service is down or slow).
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { TEST_SECRET, uniquePrefix } from '@storefront/test-kit';
import { IDENTITY_HEADER } from '@storefront/service-kit';
import { createSessionStore } from '../src/sessions';
import { expectError, handoff, useGateway, type Received } from './gateway-harness';

const { current, gateway, newSession } = useGateway();
let app: Express;
let redis: Redis;
let inspect: Redis;
beforeAll(() => ({ app, redis, inspect } = current()));

describe('POST /session', () => {
  it('issues a 256-bit URL-safe token, also as an HttpOnly SameSite=Lax cookie', async () => {
    const res = await request(app).post('/session');
    expect(res.status).toBe(201);
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = res.headers['set-cookie'][0];
    expect(cookie).toContain(`sid=${res.body.token}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('marks the cookie Secure in production', async () => {
    const res = await request(gateway({ secureCookies: true })).post('/session');
    expect(res.headers['set-cookie'][0]).toMatch(/Secure/);
  });

  it('keeps in Redis only a keyed hash of the token, expiring after the session TTL, slid on use', async () => {
    const ownPrefix = uniquePrefix('gateway-session');
    const own = gateway({
      sessions: createSessionStore({
        redis,
        secret: TEST_SECRET,
        prefix: ownPrefix,
        ttlSeconds: 3600,
        rateLimitPerMinute: 0,
      }),
    });
    const token = (await request(own).post('/session')).body.token;
    const keys = await inspect.keys(`${ownPrefix}*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(token);
    expect(await inspect.pttl(keys[0])).toBeGreaterThan(3590 * 1000);
    await inspect.pexpire(keys[0], 5_000);
    expect((await request(own).get('/Cart').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect(await inspect.pttl(keys[0])).toBeGreaterThan(3590 * 1000);
  });

  it('checks a body sent to it like any other: JSON only, at most 16 KiB', async () => {
    const text = await request(app).post('/session').set('Content-Type', 'text/plain').send('hello');
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const big = await request(app)
      .post('/session')
      .send({ padding: 'x'.repeat(20 * 1024) });
    expectError(big, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 405 with Allow to another method', async () => {
    const res = await request(app).get('/session');
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('POST');
  });
});

describe('authentication on /Cart routes', () => {
  it.each([
    ['no token', {}],
    ['a token it never issued', { Authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['a malformed Authorization header', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ['an empty Bearer', { Authorization: 'Bearer ' }],
    ['an unknown cookie', { Cookie: 'sid=nope' }],
  ])('answers 401 UNAUTHENTICATED for %s, and forwards nothing', async (_case, headers) => {
    const res = await request(app)
      .get('/Cart')
      .set(headers as Record<string, string>);
    expectError(res, 401, 'UNAUTHENTICATED');
    expect(res.headers['x-echo-service']).toBeUndefined();
  });

  it('accepts the token as a Bearer header or as the sid cookie; the header wins when both are sent', async () => {
    const token = await newSession();
    expect((await request(app).get('/Cart').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const byCookie = await request(app).get('/Cart').set('Cookie', `theme=dark; sid=${token}`);
    expect(byCookie.status).toBe(200);
    // The cookie's lifetime slides with the session's.
    expect(byCookie.headers['set-cookie'][0]).toMatch(new RegExp(`^sid=${token};.*Max-Age=3600`));
    const both = await request(app)
      .get('/Cart')
      .set('Authorization', 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
      .set('Cookie', `sid=${token}`);
    expectError(both, 401, 'UNAUTHENTICATED');
  });
});

describe('forwarding', () => {
  it(
    'hands the service a signed identity for this request, ' + 'and never the token, the cookie or a client identity',
    async () => {
      const token = await newSession();
      const res = await request(app)
        .post('/Cart/Item?x=1')
        .set('Authorization', `Bearer ${token}`)
        .set('Cookie', `sid=${token}`)
        .set(IDENTITY_HEADER, 'v1.someone-else.9999999999999.forged')
        .set('X-Request-Id', 'trace-me-1')
        .send({ id: 'badger-mug' });
      expect(res.status).toBe(200);
      const received: Received = res.body;
      expect(received).toMatchObject({
        service: 'inventory',
        method: 'POST',
        url: '/Cart/Item?x=1',
        body: '{"id":"badger-mug"}',
      });
      expect(received.headers.authorization).toBeUndefined();
      expect(received.headers.cookie).toBeUndefined();
      expect(received.headers['x-request-id']).toBe('trace-me-1');
      expect(res.headers['x-request-id']).toBe('trace-me-1');
      const shopper = handoff.verify(received.headers[IDENTITY_HEADER] as string, {
        method: 'POST',
        url: '/Cart/Item?x=1',
      })?.subject;
      expect(shopper).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(JSON.stringify(received)).not.toContain(token);
    },
  );

  it('gives one session the same shopper id on every request, and two sessions different ones', async () => {
    const shopperOf = async (token: string) => {
      const received: Received = (await request(app).get('/Cart').set('Authorization', `Bearer ${token}`)).body;
      return handoff.verify(received.headers[IDENTITY_HEADER] as string, { method: 'GET', url: '/Cart' })?.subject;
    };
    const [a, b] = [await newSession(), await newSession()];
    expect(await shopperOf(a)).toBe(await shopperOf(a));
    expect(await shopperOf(a)).not.toBe(await shopperOf(b));
  });

  it(
    'routes /Cart/checkout to checkout and other /Cart ' + 'and /Items paths to inventory, case-insensitively',
    async () => {
      const token = await newSession();
      const auth = { Authorization: `Bearer ${token}` };
      const servedBy = async (method: 'get' | 'patch', path: string) =>
        (await request(app)[method](path).set(auth)).headers['x-echo-service'];
      expect(await servedBy('patch', '/Cart/checkout')).toBe('checkout');
      expect(await servedBy('patch', '/cart/CHECKOUT/')).toBe('checkout');
      expect(await servedBy('get', '/Cart')).toBe('inventory');
      expect(await servedBy('get', '/Cart/Item/badger-mug')).toBe('inventory');
      expect(await servedBy('get', '/Cart/checkoutx')).toBe('inventory');
      expect(await servedBy('get', '/items/badger-mug')).toBe('inventory');
    },
  );

  it('serves /Items without a session, and hands over no identity there', async () => {
    const res = await request(app).get('/Items');
    expect(res.status).toBe(200);
    expect((res.body as Received).headers[IDENTITY_HEADER]).toBeUndefined();
  });

  it('answers 404 NOT_FOUND in the error shape for an unknown route', async () => {
    expectError(await request(app).get('/nowhere'), 404, 'NOT_FOUND');
    expectError(await request(app).get('/Itemsx'), 404, 'NOT_FOUND');
  });

  it('refuses an announced body over 16 KiB with 413 before forwarding it', async () => {
    const token = await newSession();
    const res = await request(app)
      .post('/Cart/Item')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ id: 'x'.repeat(20 * 1024) }));
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(res.headers['x-echo-service']).toBeUndefined();
  });
});
