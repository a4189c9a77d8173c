// The one door to Redis on this run's topology (one node, a Cluster or Sentinel: npm run
// test:topologies runs this file on each): ready means it can serve, a fresh connection never turns
// healthy-Redis traffic into "unavailable", and closing it is clean.
import { Cluster } from 'ioredis';
import { z } from 'zod';
import { connectRedis, redisEnv } from '@storefront/redis';
import { readConfig } from '@storefront/service-kit';
import { connectTestStore, testRedisEnv, testTopology } from '@storefront/test-kit';

it('connects to the topology chosen, and is ready only once it can serve', async () => {
  const connection = await connectTestStore('connection-test');
  try {
    expect(connection.topology).toBe(testTopology());
    expect(connection.client instanceof Cluster).toBe(testTopology() === 'cluster');
    await expect(connection.checkReady()).resolves.toBeUndefined();
  } finally {
    await connection.close();
  }
});

it('serves 500 concurrent writes over every shard the moment the client is ready, without one refusal', async () => {
  // A Cluster client with no offline queue opens a primary's connection on its first command and
  // refuses the commands that come while it opens ("Connection is closed.", which was a 503 on a
  // healthy cluster); our client waits for it (retryDelayOnFailover), within maxRedirections tries.
  const connection = connectRedis(readConfig(z.object(redisEnv), testRedisEnv()), { name: 'fresh-connection-test' });
  const { client } = connection;
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  try {
    const results = await Promise.allSettled(
      Array.from({ length: 500 }, (_, i) => client.set(`test:fresh:{${i}}`, String(i), 'PX', 60_000)),
    );
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused.map((result) => String((result as PromiseRejectedResult).reason))).toEqual([]);
  } finally {
    await connection.close();
  }
});
