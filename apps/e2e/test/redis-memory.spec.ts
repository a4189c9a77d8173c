// What visitors can make Redis keep, end to end through the gateway. A flood of checkouts that each
// store a refusal under a fresh Idempotency-Key grows Redis by well under 2 KB per stored answer and
// at most 100 answers per shopper; and a Redis full to its maxmemory (noeviction, as in
// docker-compose.yml) makes the storefront answer honest 503s, lose nothing, and serve again once
// memory frees.
import type { Redis } from 'ioredis';
import {
  connectTestRedis,
  startControllableRedis,
  testRedisUrl,
  waitFor,
  type RedisProcess,
} from '@storefront/test-kit';
import { call, newSession, startStorefront, type Storefront } from './storefront-harness';

const STORED_ANSWER_BUDGET_BYTES = 2048;
const MAX_RECORDS_PER_SHOPPER = 100;

// The attack as it was found: a body whose unknown key is 16,300 characters long, which the refusal
// used to repeat in full, stored for 24 hours under each new key.
const FLOOD_BODY = { payment: { token: 'x' }, ['k'.repeat(16_300)]: 1 };

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
}

describe('a flood of stored checkout refusals', () => {
  let store: Storefront;
  let inspect: Redis;
  beforeAll(async () => {
    store = await startStorefront({ redisUrl: testRedisUrl() });
    inspect = connectTestRedis();
  });
  afterAll(async () => {
    await store.stop();
    await inspect.quit();
  });

  it('grows Redis by under 2 KB per stored answer, from 50 sessions with a fresh key each time', async () => {
    const sessions = await Promise.all(Array.from({ length: 50 }, () => newSession(store.gatewayUrl)));
    const before = await usedMemory(inspect);
    const perSession = 10;
    await Promise.all(
      sessions.map(async (token, s) => {
        for (let i = 0; i < perSession; i++) {
          const headers = { 'Idempotency-Key': `flood-${s}-${i}` };
          const answer = await call(store.gatewayUrl, 'PATCH', '/Cart/checkout', { token, body: FLOOD_BODY, headers });
          expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({
            status: 400,
            code: 'INVALID_BODY',
          });
        }
      }),
    );
    const grown = (await usedMemory(inspect)) - before;
    const stored = [
      ...(await inspect.keys(`${store.prefix}idem:*`)),
      ...(await inspect.keys(`${store.prefix}idem-index:*`)),
    ];
    const records = stored.filter((key) => key.includes(':idem:')).length;
    expect(records).toBe(sessions.length * perSession);
    const usage = await Promise.all(stored.map(async (key) => Number(await inspect.memory('USAGE', key))));
    const perAnswer = usage.reduce((sum, bytes) => sum + bytes, 0) / records;
    process.stdout.write(
      `flood: ${records} stored answers, ${Math.round(perAnswer)} B each by MEMORY USAGE (record and index entry), ` +
        `used_memory +${Math.round(grown / records)} B per answer\n`,
    );
    expect(perAnswer).toBeLessThanOrEqual(STORED_ANSWER_BUDGET_BYTES);
  });

  it(
    `keeps at most ${MAX_RECORDS_PER_SHOPPER} answers per ` + `shopper: the next new key is 429 with Retry-After`,
    async () => {
      const token = await newSession(store.gatewayUrl);
      for (let i = 0; i < MAX_RECORDS_PER_SHOPPER; i++) {
        const answer = await call(store.gatewayUrl, 'PATCH', '/Cart/checkout', {
          token,
          body: FLOOD_BODY,
          headers: { 'Idempotency-Key': `cap-${i}` },
        });
        expect(answer.status).toBe(400);
      }
      const refused = await call(store.gatewayUrl, 'PATCH', '/Cart/checkout', {
        token,
        body: FLOOD_BODY,
        headers: { 'Idempotency-Key': 'cap-next' },
      });
      expect({ status: refused.status, code: refused.body?.error?.code }).toEqual({
        status: 429,
        code: 'RATE_LIMITED',
      });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const replay = await call(store.gatewayUrl, 'PATCH', '/Cart/checkout', {
        token,
        body: FLOOD_BODY,
        headers: { 'Idempotency-Key': 'cap-7' },
      });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    },
  );
});

describe('a Redis full to its maxmemory (noeviction)', () => {
  let redis: RedisProcess;
  let store: Storefront;
  let inspect: Redis;
  beforeAll(async () => {
    redis = await startControllableRedis(['--maxmemory', '8mb', '--maxmemory-policy', 'noeviction']);
    store = await startStorefront({ redisUrl: redis.url });
    inspect = connectTestRedis(redis.url);
  });
  afterAll(async () => {
    await store.stop();
    await inspect.quit();
    await redis.stop();
  });

  it(
    'answers 503 CART_UNAVAILABLE with Retry-After, keeps the ' +
      'catalog and every cart, and serves again once memory frees',
    async () => {
      const token = await newSession(store.gatewayUrl);
      expect(
        (await call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-mug', quantity: 2 } })).status,
      ).toBe(201);

      // Fill Redis with keys of our own (each with a TTL, as the storefront's) until it refuses a write:
      // large values first, then small ones (a large value's own query buffer counts while it is refused,
      // so the first refusal can come with room left for small writes).
      let filled = 0;
      for (const size of [64 * 1024, 256, 16]) {
        const filler = 'f'.repeat(size);
        for (;;) {
          try {
            await inspect.set(`filler:${filled}`, filler, 'PX', 600_000);
            filled++;
          } catch (err) {
            expect(String(err)).toMatch(/OOM/);
            break;
          }
        }
      }
      // Then keep it full: Redis frees a little in the background (its cron shrinks client buffers), and
      // a small write could fit again (a session was created so, once in CI). The limit goes just under
      // what is used: every write that may grow memory is refused until the fillers are gone.
      await inspect.config('SET', 'maxmemory', String((await usedMemory(inspect)) - 256 * 1024));

      const add = await call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-tee' } });
      expect({ status: add.status, code: add.body?.error?.code }).toEqual({ status: 503, code: 'CART_UNAVAILABLE' });
      expect(Number(add.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const pay = await call(store.gatewayUrl, 'PATCH', '/Cart/checkout', {
        token,
        body: { payment: { token: 'tok_visa' } },
      });
      expect({ status: pay.status, code: pay.body?.error?.code }).toEqual({ status: 503, code: 'CART_UNAVAILABLE' });
      const session = await call(store.gatewayUrl, 'POST', '/session');
      expect({ status: session.status, code: session.body?.error?.code }).toEqual({
        status: 503,
        code: 'CART_UNAVAILABLE',
      });
      expect((await call(store.gatewayUrl, 'GET', '/Items')).status).toBe(200);
      process.stdout.write(`full Redis: ${filled} filler keys; the storefront answered 503 CART_UNAVAILABLE\n`);

      await inspect.del(...Array.from({ length: filled }, (_, i) => `filler:${i}`));
      const freed = Date.now();
      await waitFor(async () => (await call(store.gatewayUrl, 'GET', '/Cart', { token })).status === 200, 5_000);
      process.stdout.write(`full Redis: serving again ${Date.now() - freed} ms after memory freed\n`);
      const cart = await call(store.gatewayUrl, 'GET', '/Cart', { token });
      expect(cart.body?.cart).toEqual([{ id: 'badger-mug', quantity: 2 }]);
      const added = await call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-tee' } });
      expect(added.status).toBe(201);
    },
  );
});
