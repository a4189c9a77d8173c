// The whole storefront while its Redis is frozen (SIGSTOP) or killed: cart requests answer
// 503 CART_UNAVAILABLE with Retry-After within 1 s, every /readyz says 503, and once Redis is back the
// storefront serves again within 5 s without restarting anything.
import { startControllableRedis, waitFor, type RedisProcess } from '@storefront/test-kit';
import { call, newSession, startStorefront, type Storefront } from './storefront-harness';

let redis: RedisProcess;
let store: Storefront;

beforeAll(async () => {
  // fsync on every write, so what was acknowledged before the kill is there after the restart.
  redis = await startControllableRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
  store = await startStorefront({ redisUrl: redis.url });
});
afterAll(async () => {
  redis.thaw();
  await store.stop();
  await redis.stop();
});

async function expectUnavailable(answer: Promise<Awaited<ReturnType<typeof call>>>) {
  const { status, body, headers, ms } = await answer;
  expect({ status, code: body?.error?.code }).toEqual({ status: 503, code: 'CART_UNAVAILABLE' });
  expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(ms).toBeLessThan(1_000);
  return ms;
}

async function expectAllNotReady() {
  for (const base of [store.gatewayUrl, store.inventoryUrl, store.checkoutUrl]) {
    const ready = await call(base, 'GET', '/readyz');
    expect({ base, status: ready.status }).toEqual({ base, status: 503 });
  }
}

async function secondsUntilServing(token: string): Promise<number> {
  const back = Date.now();
  await waitFor(async () => (await call(store.gatewayUrl, 'GET', '/Cart', { token })).status === 200, 5_000);
  await waitFor(async () => (await call(store.inventoryUrl, 'GET', '/readyz')).status === 200, 1_000);
  return (Date.now() - back) / 1000;
}

it(
  'with Redis frozen: 503 CART_UNAVAILABLE within 1 s, ' + '/readyz 503, and serving again within 5 s of SIGCONT',
  async () => {
    const token = await newSession(store.gatewayUrl);
    expect((await call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-mug' } })).status).toBe(
      201,
    );

    redis.freeze();
    try {
      const read = await expectUnavailable(call(store.gatewayUrl, 'GET', '/Cart', { token }));
      const add = await expectUnavailable(
        call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-tee' } }),
      );
      const session = await expectUnavailable(call(store.gatewayUrl, 'POST', '/session'));
      process.stdout.write(
        `frozen Redis: answered 503 in ${read} ms (read), ${add} ms (add), ${session} ms (session)\n`,
      );
      await expectAllNotReady();
    } finally {
      redis.thaw();
    }
    const seconds = await secondsUntilServing(token);
    process.stdout.write(`frozen Redis: serving again ${seconds.toFixed(2)} s after SIGCONT\n`);
    expect(seconds).toBeLessThan(5);
  },
);

it(
  'with Redis killed: 503 CART_UNAVAILABLE within 1 s, ' + '/readyz 503, and serving again within 5 s of its restart',
  async () => {
    const token = await newSession(store.gatewayUrl);
    expect(
      (await call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-socks', quantity: 2 } })).status,
    ).toBe(201);

    await redis.kill();
    const add = await expectUnavailable(
      call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-tee' } }),
    );
    const checkout = await expectUnavailable(
      call(store.gatewayUrl, 'PATCH', '/Cart/checkout', { token, body: { payment: { token: 'tok_visa' } } }),
    );
    process.stdout.write(`killed Redis: answered 503 in ${add} ms (add), ${checkout} ms (checkout)\n`);
    await expectAllNotReady();

    await redis.start();
    const seconds = await secondsUntilServing(token);
    process.stdout.write(`killed Redis: serving again ${seconds.toFixed(2)} s after restart\n`);
    expect(seconds).toBeLessThan(5);
    // Nothing acknowledged was lost (append-only file, fsync always), and nothing refused was applied.
    expect((await call(store.gatewayUrl, 'GET', '/Cart', { token })).body).toEqual({
      cart: [{ id: 'badger-socks', quantity: 2 }],
    });
  },
);
