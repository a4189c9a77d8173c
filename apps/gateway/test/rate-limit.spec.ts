// Rate limiting at the gateway: per session on cart routes, per client address on POST /session,
// counted in Redis so every gateway replica shares one budget, and working again by itself once a
// Redis that was down at start comes up.
import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { closeRedis, createRedisClient, pingRedis } from '@storefront/redis';
import {
  TEST_SECRET,
  connectFastFailClient,
  connectTestRedis,
  startControllableRedis,
  uniquePrefix,
  waitFor,
} from '@storefront/test-kit';
import { boundPort, closeServer, createIdentityHandoff, createLogger } from '@storefront/service-kit';
import { createApp } from '../src/app';
import { createUpstreamAgent } from '../src/proxy';
import { createSessionStore } from '../src/sessions';

const agent = createUpstreamAgent();
let upstream: Server;
let upstreamUrl: string;
let redis: Redis;
let inspect: Redis;

beforeAll(async () => {
  // A stand-in service that answers every forwarded request with 200.
  upstream = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${boundPort(upstream)}`;
  redis = await connectFastFailClient();
  inspect = connectTestRedis();
});
afterAll(async () => {
  agent.destroy();
  await closeServer(upstream);
  await closeRedis(redis);
  await inspect.quit();
});

function gateway(client: Redis, prefix: string, rateLimitPerMinute: number): Express {
  return createApp({
    sessions: createSessionStore({ redis: client, secret: TEST_SECRET, prefix, ttlSeconds: 3600, rateLimitPerMinute }),
    handoff: createIdentityHandoff(TEST_SECRET),
    logger: createLogger({ name: 'gateway', level: 'silent' }),
    checkReady: () => pingRedis(client),
    inventoryUrl: upstreamUrl,
    checkoutUrl: upstreamUrl,
    agent,
    upstreamTimeoutMs: 1_000,
    secureCookies: false,
  });
}

it(
  'answers 429 RATE_LIMITED with Retry-After once a session ' + 'spends its budget, shared by every gateway replica',
  async () => {
    const prefix = uniquePrefix('rate-limit');
    const [replicaA, replicaB] = [gateway(redis, prefix, 5), gateway(redis, prefix, 5)];
    const token = (await request(replicaA).post('/session')).body.token;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (
          await request(i % 2 ? replicaB : replicaA)
            .get('/Cart')
            .set('Authorization', `Bearer ${token}`)
        ).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await request(replicaB).get('/Cart').set('Authorization', `Bearer ${token}`);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // Another shopper has a budget of its own.
    const other = (await request(replicaA).post('/session')).body.token;
    expect((await request(replicaA).get('/Cart').set('Authorization', `Bearer ${other}`)).status).toBe(200);

    // The counters expire with their minute and never name the token.
    const counters = await inspect.keys(`${prefix}ratelimit:*`);
    expect(counters.length).toBeGreaterThanOrEqual(2);
    for (const key of counters) {
      expect(key).not.toContain(token);
      const ttl = await inspect.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
  },
);

it('limits POST /session per client address', async () => {
  const app = gateway(redis, uniquePrefix('rate-limit'), 3);
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await request(app).post('/session')).status);
  expect(statuses).toEqual([201, 201, 201, 429]);
});

it('does not limit when RATE_LIMIT_PER_MINUTE is 0', async () => {
  const prefix = uniquePrefix('rate-limit');
  const app = gateway(redis, prefix, 0);
  const token = (await request(app).post('/session')).body.token;
  for (let i = 0; i < 20; i++)
    expect((await request(app).get('/Cart').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  expect(await inspect.keys(`${prefix}ratelimit:*`)).toEqual([]);
});

it('works by itself once a Redis that was down when the gateway started comes up', async () => {
  const server = await startControllableRedis();
  await server.kill();
  const client = createRedisClient(server.url, { name: 'rate-limit-test' });
  try {
    const app = gateway(client, uniquePrefix('rate-limit'), 3);
    const down = await request(app).post('/session');
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('CART_UNAVAILABLE');

    await server.start();
    const token = await waitFor(async () => {
      const res = await request(app).post('/session');
      return res.status === 201 ? (res.body.token as string) : undefined;
    }, 5_000);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await request(app).get('/Cart').set('Authorization', `Bearer ${token}`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  } finally {
    await closeRedis(client);
    await server.stop();
  }
});
