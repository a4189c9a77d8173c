// A Sentinel failover as the client lives through it, on a Sentinel set of this file's own (whatever
// topology the run uses): the client must find the new primary by itself, whatever the timing of the
// sentinels' answers and of their announcement of the new primary.
import { Redis } from 'ioredis';
import { z } from 'zod';
import { connectRedis, redisEnv, type RedisConnection } from '@storefront/redis';
import { readConfig } from '@storefront/service-kit';
import { startRedisSentinelSet, waitFor, type TestSentinelSet } from '@storefront/test-kit';

let set: TestSentinelSet | undefined;
let connection: RedisConnection | undefined;

beforeEach(async () => {
  set = await startRedisSentinelSet({ downAfterMs: 1_000 });
}, 60_000);
afterEach(async () => {
  for (const sentinel of set?.sentinels ?? []) sentinel.thaw();
  await connection?.close();
  await set?.stop();
  connection = undefined;
});

/** The production client on this file's Sentinel set, once it is ready. */
async function connect(commandTimeoutMs?: number): Promise<RedisConnection> {
  const { addresses, name } = set as TestSentinelSet;
  const env = { REDIS_SENTINELS: addresses, REDIS_SENTINEL_NAME: name };
  connection = connectRedis(readConfig(z.object(redisEnv), env), { name: 'sentinel-failover-test', commandTimeoutMs });
  await connection.waitUntilReady();
  return connection;
}

/** The port of the primary that sentinels 2 and 3 name, once they agree on one that is not `old`. */
async function newPrimaryAnnounced(old: number): Promise<number> {
  const sentinelSet = set as TestSentinelSet;
  return waitFor(async () => {
    const [second, third] = await Promise.all([sentinelSet.primary(1), sentinelSet.primary(2)]);
    return second.port !== old && second.port === third.port ? second.port : undefined;
  }, 20_000);
}

/** Resolves with the port of the node the client writes to, once a write goes through. */
async function servingAgain({ client }: RedisConnection): Promise<number> {
  return waitFor(
    async () => {
      await client.set('sentinel-failover-test:probe', String(Date.now()));
      const [, port] = (await (client as Redis).config('GET', 'port')) as string[];
      return Number(port);
    },
    15_000,
    100,
  );
}

it('finds the new primary by itself while the sentinel it asks first answers nothing', async () => {
  const store = await connect();
  const { sentinels } = set as TestSentinelSet;
  const old = await (set as TestSentinelSet).primary();
  // The client asks the sentinels in the order given. The first now accepts connections (the kernel
  // does) but answers nothing, as a sentinel on a stalled machine would; the other two still make a
  // majority and fail over. The client gives up on it after its command timeout and asks the next.
  sentinels[0].freeze();
  await old.kill();
  const primary = await newPrimaryAnnounced(old.port);
  await expect(servingAgain(store)).resolves.toBe(primary);
}, 60_000);

it('keeps reconnecting when the new primary is announced while it waits for a sentinel to answer', async () => {
  // A command timeout longer than the test: the question to the frozen sentinel stays pending until
  // it thaws, so the announcement surely comes while the client waits for it.
  const store = await connect(30_000);
  let ends = 0;
  store.client.on('end', () => ends++);
  const { sentinels } = set as TestSentinelSet;
  const old = await (set as TestSentinelSet).primary();
  sentinels[0].freeze();
  await old.kill();
  await newPrimaryAnnounced(old.port);
  // The announcement (+switch-master) reached the client while its question to the first sentinel
  // was pending: ioredis then gave the client up for good ("Connection is closed.", status end), and a
  // service answered 503 until it was restarted. The first sentinel answers now.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  sentinels[0].thaw();
  const primary = await newPrimaryAnnounced(old.port);
  await expect(servingAgain(store)).resolves.toBe(primary);
  expect(ends).toBeGreaterThanOrEqual(1);
  await waitFor(() => store.client.status === 'ready');
}, 60_000);
