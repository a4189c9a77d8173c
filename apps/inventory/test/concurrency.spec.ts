// Concurrent adds over HTTP, spread over two inventory instances (as behind a load balancer), each
// with its own Redis connection: every add counts and the limits hold.
import type { Server } from 'node:http';
import type { Redis } from 'ioredis';
import { createCartCache } from '@storefront/cart-cache';
import { closeRedis, pingRedis } from '@storefront/redis';
import {
  TEST_SECRET,
  connectFastFailClient,
  connectTestRedis,
  freshShopper,
  gatewayIdentity,
  uniquePrefix,
} from '@storefront/test-kit';
import { boundPort, closeServer, createIdentityHandoff, createLogger, listen } from '@storefront/service-kit';
import { createApp } from '../src/app';

const INSTANCES = 2;

async function startInstances(prefix: string, maxQuantity?: number) {
  const instances: { server: Server; redis: Redis; url: string }[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    const redis = await connectFastFailClient(undefined, `inventory-${i}`);
    const app = createApp({
      carts: createCartCache({ redis, secret: TEST_SECRET, prefix, limits: maxQuantity ? { maxQuantity } : undefined }),
      handoff: createIdentityHandoff(TEST_SECRET),
      logger: createLogger({ name: 'inventory', level: 'silent' }),
      checkReady: () => pingRedis(redis),
    });
    const server = await listen(app, 0, '127.0.0.1');
    instances.push({ server, redis, url: `http://127.0.0.1:${boundPort(server)}` });
  }
  return {
    urls: instances.map((instance) => instance.url),
    async stop() {
      for (const instance of instances) {
        await closeServer(instance.server);
        await closeRedis(instance.redis);
      }
    },
  };
}

async function add(baseUrl: string, shopper: string, id: string): Promise<number> {
  const res = await fetch(`${baseUrl}/Cart/Item`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...gatewayIdentity(shopper, 'POST', '/Cart/Item') },
    body: JSON.stringify({ id }),
  });
  await res.arrayBuffer();
  return res.status;
}

let inspect: Redis;
beforeAll(() => {
  inspect = connectTestRedis();
});
afterAll(() => inspect.quit());

it('when 1,000 adds race over 10 items with the line limit raised, every line ends at exactly 100', async () => {
  const prefix = uniquePrefix('inventory-race');
  const { urls, stop } = await startInstances(prefix, 1000);
  try {
    const shopper = freshShopper();
    const items = [
      'badger-plush',
      'badger-mug',
      'badger-tee',
      'badger-socks',
      'badger-shaving-brush',
      'sett-birdhouse',
      'badger-enamel-pin',
      'badger-tote',
      'badger-hoodie',
      'badger-field-guide',
    ];
    const statuses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => add(urls[i % INSTANCES], shopper, items[i % 10])),
    );
    expect(statuses.every((status) => status === 201)).toBe(true);
    const [cartKey] = await inspect.keys(`${prefix}cart:*`);
    expect(await inspect.hgetall(cartKey)).toEqual(Object.fromEntries(items.map((id) => [id, '100'])));
  } finally {
    await stop();
  }
});

it(
  'when 200 adds of one item race, exactly 99 answer 201, ' + '101 answer 422 CART_LIMIT, and the line ends at 99',
  async () => {
    const prefix = uniquePrefix('inventory-race');
    const { urls, stop } = await startInstances(prefix);
    try {
      const shopper = freshShopper();
      const statuses = await Promise.all(
        Array.from({ length: 200 }, (_, i) => add(urls[i % INSTANCES], shopper, 'badger-mug')),
      );
      const count = (status: number) => statuses.filter((s) => s === status).length;
      expect({ created: count(201), limited: count(422) }).toEqual({ created: 99, limited: 101 });
      const [cartKey] = await inspect.keys(`${prefix}cart:*`);
      expect(await inspect.hgetall(cartKey)).toEqual({ 'badger-mug': '99' });
    } finally {
      await stop();
    }
  },
);
