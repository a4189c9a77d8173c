// The gateway on a real Redis, in front of a stand-in service that echoes what it received: sessions,
// authentication, routing, what is and is not forwarded, and answers when a service is down or slow.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import pino from 'pino';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { closeRedis, pingRedis } from '@storefront/redis';
import { TEST_SECRET, connectFastFailClient, connectTestRedis, freePort, uniquePrefix } from '@storefront/test-kit';
import {
  IDENTITY_HEADER,
  boundPort,
  closeServer,
  createIdentityHandoff,
  createLogger,
  listen,
} from '@storefront/service-kit';
import { createApp, type GatewayDeps } from '../src/app';
import { createUpstreamAgent } from '../src/proxy';
import { createSessionStore } from '../src/sessions';

interface Received {
  service: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in for inventory or checkout: answers 200 with what it received (or waits, when asked to). */
async function echoService(service: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const answer = () => {
        const received: Received = {
          service,
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body,
        };
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Echo-Service': service });
        res.end(JSON.stringify(received));
      };
      if (req.url?.includes('slow')) setTimeout(answer, 1_000);
      else if (req.url?.includes('broken')) {
        // Headers and half a body, then the connection drops.
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
        res.write('{"items":[');
        setTimeout(() => req.socket.destroy(), 20);
      } else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${boundPort(server)}`, server };
}

const handoff = createIdentityHandoff(TEST_SECRET);
const agent = createUpstreamAgent();
let redis: Redis;
let inspect: Redis;
let prefix: string;
let inventory: { url: string; server: Server };
let checkout: { url: string; server: Server };
let app: Express;

function gateway(overrides: Partial<GatewayDeps> = {}): Express {
  return createApp({
    sessions: createSessionStore({ redis, secret: TEST_SECRET, prefix, ttlSeconds: 3600, rateLimitPerMinute: 0 }),
    handoff,
    logger: createLogger({ name: 'gateway', level: 'silent' }),
    checkReady: () => pingRedis(redis),
    inventoryUrl: inventory.url,
    checkoutUrl: checkout.url,
    agent,
    upstreamTimeoutMs: 500,
    secureCookies: false,
    ...overrides,
  });
}

beforeAll(async () => {
  redis = await connectFastFailClient();
  inspect = connectTestRedis();
  prefix = uniquePrefix('gateway');
  inventory = await echoService('inventory');
  checkout = await echoService('checkout');
  app = gateway();
});
afterAll(async () => {
  agent.destroy();
  await closeServer(inventory.server);
  await closeServer(checkout.server);
  await closeRedis(redis);
  await inspect.quit();
});

async function newSession(): Promise<string> {
  const res = await request(app).post('/session');
  expect(res.status).toBe(201);
  return res.body.token;
}

function expectError(res: request.Response, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

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
  it('hands the service a signed identity for this request, and never the token, the cookie or a client identity', async () => {
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
  });

  it('gives one session the same shopper id on every request, and two sessions different ones', async () => {
    const shopperOf = async (token: string) => {
      const received: Received = (await request(app).get('/Cart').set('Authorization', `Bearer ${token}`)).body;
      return handoff.verify(received.headers[IDENTITY_HEADER] as string, { method: 'GET', url: '/Cart' })?.subject;
    };
    const [a, b] = [await newSession(), await newSession()];
    expect(await shopperOf(a)).toBe(await shopperOf(a));
    expect(await shopperOf(a)).not.toBe(await shopperOf(b));
  });

  it('routes /Cart/checkout to checkout and other /Cart and /Items paths to inventory, case-insensitively', async () => {
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
  });

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

describe('what a client can send', () => {
  it('refuses an announced 1 MiB body with 413 and closes the connection at once, without reading it', async () => {
    const server = await listen(app, 0, '127.0.0.1');
    try {
      const token = await newSession();
      const answer = await new Promise<{ text: string; ms: number }>((resolve, reject) => {
        const socket = connect(boundPort(server), '127.0.0.1');
        const started = Date.now();
        let text = '';
        socket.on('data', (chunk) => (text += chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve({ text, ms: Date.now() - started }));
        setTimeout(() => reject(new Error(`still open after 3 s: ${text}`)), 3_000);
        socket.write(
          `POST /Cart/Item HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{"id":',
        );
      });
      expect(answer.text).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer.text).toMatch(/connection: close/i);
      expect(answer.ms).toBeLessThan(1_000);
    } finally {
      await closeServer(server);
    }
  });

  it('refuses more than 100 headers with 431, and its own headers reach the service whatever the client sends', async () => {
    const token = await newSession();
    const many = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-client-${i}`, 'v']));
    const refused = await request(app).get('/Cart').set('Authorization', `Bearer ${token}`).set(many(120));
    expectError(refused, 431, 'HEADERS_TOO_LARGE');
    expect(refused.headers['x-echo-service']).toBeUndefined();
    const forwarded = await request(app).get('/Cart').set('Authorization', `Bearer ${token}`).set(many(95));
    expect(forwarded.status).toBe(200);
    const received = forwarded.body as Received;
    expect(handoff.verify(received.headers[IDENTITY_HEADER] as string, { method: 'GET', url: '/Cart' })).toBeDefined();
    expect(received.headers['x-request-id']).toBe(forwarded.headers['x-request-id']);
    expect(received.headers['x-client-94']).toBe('v');
  });
});

describe('a body that never arrives whole', () => {
  it('is answered 408 at the deadline, and the request to the service is dropped with it', async () => {
    let upstreamClosedAt = 0;
    const upstream = createServer((req) => {
      // Never answers: it waits for a body that keeps trickling in.
      req.resume();
      req.on('close', () => (upstreamClosedAt = Date.now()));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const front = await listen(
      gateway({ inventoryUrl: `http://127.0.0.1:${boundPort(upstream)}`, upstreamTimeoutMs: 5_000 }),
      0,
      '127.0.0.1',
      {
        headersMs: 400,
        requestMs: 1_000,
      },
    );
    try {
      const answer = await new Promise<{ text: string; at: number }>((resolve, reject) => {
        const socket = connect(boundPort(front), '127.0.0.1');
        let text = '';
        const drip = setInterval(() => socket.writable && socket.write(' '), 100);
        socket.on('data', (chunk) => (text += chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearInterval(drip);
          resolve({ text, at: Date.now() });
        });
        setTimeout(() => reject(new Error(`still open after 3 s: ${text}`)), 3_000);
        socket.write(
          'POST /Items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
        );
      });
      expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer.text).toContain('"REQUEST_TIMEOUT"');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(upstreamClosedAt).toBeGreaterThan(0);
      expect(upstreamClosedAt - answer.at).toBeLessThan(200);
    } finally {
      await closeServer(front);
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});

describe('a client that goes away', () => {
  it('is logged as an aborted request, with no status and no "service unavailable"', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const server = await listen(gateway({ logger, upstreamTimeoutMs: 2_000 }), 0, '127.0.0.1');
    try {
      await new Promise<void>((resolve) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port: boundPort(server),
          path: '/Items/slow',
          headers: { 'x-request-id': 'gone-1' },
        });
        req.on('error', () => resolve());
        req.end();
        setTimeout(() => req.destroy(), 100);
      });
      // Past the moment the service answers (1 s): nothing more may be said about this request.
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      const about = lines.filter((line) => line.reqId === 'gone-1');
      expect(about).toEqual([expect.objectContaining({ msg: 'request aborted', aborted: true, path: '/Items/slow' })]);
      expect(about[0].status).toBeUndefined();
      expect(lines.filter((line) => Number(line.level) >= 40)).toEqual([]);
    } finally {
      await closeServer(server);
    }
  });
});

describe('a service down or slow', () => {
  it('answers 503 SERVICE_UNAVAILABLE with Retry-After when nothing listens', async () => {
    const down = gateway({ inventoryUrl: `http://127.0.0.1:${await freePort()}` });
    const res = await request(down).get('/Items');
    expectError(res, 503, 'SERVICE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('1');
  });

  it('answers 503 SERVICE_UNAVAILABLE when the service does not answer within the upstream timeout', async () => {
    const started = Date.now();
    const res = await request(app).get('/Items/slow');
    expectError(res, 503, 'SERVICE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('a service answer that breaks off', () => {
  it('closes the client connection instead of leaving it hanging', async () => {
    const started = Date.now();
    const outcome = await request(app)
      .get('/Items/broken')
      .timeout(3_000)
      .then(
        () => 'complete',
        (err: Error & { code?: string; timeout?: number }) => (err.timeout ? 'timed out' : 'closed'),
      );
    expect(outcome).toBe('closed');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('health', () => {
  it('answers /healthz and /readyz from its own Redis', async () => {
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(app).get('/readyz')).body).toEqual({ status: 'ready' });
  });
});
