// What the cart layer does when Redis is stopped or frozen: fail within about half a second as
// 503 CART_UNAVAILABLE, and serve again by itself once Redis is back.
import { createCartCache } from '@storefront/cart-cache';
import { closeRedis, createRedisClient, RedisUnavailableError, waitUntilReady } from '@storefront/redis';
import {
  TEST_SECRET,
  freshShopper,
  startControllableRedis,
  uniquePrefix,
  waitFor,
  type RedisProcess,
} from '@storefront/test-kit';

let server: RedisProcess;

beforeAll(async () => {
  server = await startControllableRedis();
});
afterAll(() => server.stop());

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await work();
    return { ms: Date.now() - started, error: undefined };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

it(
  'fails fast with RedisUnavailableError while Redis is ' + 'frozen or stopped, and recovers without a restart',
  async () => {
    const redis = createRedisClient(server.url, { name: 'redis-down-test' });
    await waitUntilReady(redis);
    const carts = createCartCache({ redis, secret: TEST_SECRET, prefix: uniquePrefix('redis-down') });
    const shopper = freshShopper();
    try {
      await carts.add(shopper, 'badger-mug', 1);

      server.freeze();
      const frozen = await timed(() => carts.read(shopper));
      expect(frozen.error).toBeInstanceOf(RedisUnavailableError);
      expect(frozen.error).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
      expect(frozen.ms).toBeLessThan(900);
      // The silent connection was dropped with the first timeout: nothing piles up behind it, and the
      // next request fails at once while the client reconnects: well inside the 500 ms command timeout
      // it would otherwise wait (a margin for a loaded CI machine, where 100 ms proved too tight to be sure).
      const next = await timed(() => carts.add(shopper, 'badger-mug', 1));
      expect(next.error).toBeInstanceOf(RedisUnavailableError);
      expect(next.ms).toBeLessThan(250);
      server.thaw();
      await waitFor(() => carts.read(shopper).then(() => true), 5_000);

      await server.kill();
      const stopped = await timed(() => carts.add(shopper, 'badger-mug', 1));
      expect(stopped.error).toBeInstanceOf(RedisUnavailableError);
      expect(stopped.ms).toBeLessThan(900);

      // A fresh Redis (no persistence here): the cart is gone, but the same client serves again.
      await server.start();
      const back = Date.now();
      await waitFor(() => carts.read(shopper).then(() => true), 5_000);
      expect(Date.now() - back).toBeLessThan(5_000);
    } finally {
      server.thaw();
      await closeRedis(redis);
    }
  },
);
