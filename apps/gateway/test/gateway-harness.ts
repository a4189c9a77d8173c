// The gateway under test, for its spec files: on a real Redis, in front of two stand-in services
// (inventory and checkout) that echo what they received, so a test sees exactly what was forwarded.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { pingRedis } from '@storefront/redis';
import { TEST_SECRET, uniquePrefix, useTestRedis } from '@storefront/test-kit';
import { boundPort, closeServer, createIdentityHandoff, createLogger } from '@storefront/service-kit';
import { createApp, type GatewayDeps } from '../src/app';
import { createUpstreamAgent } from '../src/proxy';
import { createSessionStore } from '../src/sessions';

export interface Received {
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

export const handoff = createIdentityHandoff(TEST_SECRET);

export interface GatewayUnderTest {
  app: Express;
  redis: Redis;
  inspect: Redis;
  prefix: string;
  inventory: { url: string; server: Server };
  checkout: { url: string; server: Server };
}

/**
 * For a spec file: before its tests, the Redis clients, the two stand-in services and the gateway;
 * all closed after. `current()` is what was started; `gateway()` makes another gateway in front of
 * the same services, with some dependencies of its own.
 */
export function useGateway() {
  const store = useTestRedis('gateway');
  const agent = createUpstreamAgent();
  const prefix = uniquePrefix('gateway');
  let world: GatewayUnderTest | undefined;
  const current = () => world as GatewayUnderTest;

  function gateway(overrides: Partial<GatewayDeps> = {}): Express {
    const { redis, inventory, checkout } = current();
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
    const [inventory, checkout] = [await echoService('inventory'), await echoService('checkout')];
    world = { redis: store.redis(), inspect: store.inspect(), prefix, inventory, checkout } as GatewayUnderTest;
    world.app = gateway();
  });
  afterAll(async () => {
    agent.destroy();
    if (world) await Promise.all([closeServer(world.inventory.server), closeServer(world.checkout.server)]);
  });

  async function newSession(): Promise<string> {
    const res = await request(current().app).post('/session');
    expect(res.status).toBe(201);
    return res.body.token;
  }

  return { current, gateway, newSession };
}

export function expectError(res: request.Response, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}
