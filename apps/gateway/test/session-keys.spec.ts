// What the gateway keeps in Redis fits a Redis Cluster (npm run test:topologies runs this file on one
// node, a Cluster and Sentinel): each of its commands, the session check with its rate-limit counter
// included, keeps all its keys in one hash slot, so a Cluster runs it on one shard, atomically.
import calculateSlot from 'cluster-key-slot';
import type { RedisConnection } from '@storefront/redis';
import { TEST_SECRET, commandsSentDuring, connectTestStore, uniquePrefix } from '@storefront/test-kit';
import { createSessionStore } from '../src/sessions';

let connection: RedisConnection;
beforeAll(async () => {
  connection = await connectTestStore('gateway-key-slots');
});
afterAll(() => connection.close());

it('keeps the keys of every session and rate-limit command in one hash slot', async () => {
  const sessions = createSessionStore({
    redis: connection.client,
    secret: TEST_SECRET,
    prefix: uniquePrefix('gateway-slots'),
    ttlSeconds: 3600,
    rateLimitPerMinute: 100,
  });
  const seen = await commandsSentDuring(async () => {
    const token = await sessions.create('203.0.113.7');
    expect(await sessions.verify(token)).toEqual(expect.any(String));
  });
  const keyed = seen.filter((command) => command.keys.length > 0);
  // The address's counter, the new session, then the session check with the shopper's counter.
  expect(keyed.map((command) => command.keys.length)).toEqual([1, 1, 2]);
  for (const { keys } of keyed) expect(new Set(keys.map((key) => calculateSlot(key))).size).toBe(1);
});
