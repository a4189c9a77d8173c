// Redis is down when the services start. They must start anyway (an orchestrator starts
// them in any order, and a crash loop would only delay recovery), say 503 on /readyz and refuse cart
// requests with 503 CART_UNAVAILABLE, then serve once Redis comes up, in the same processes.
import { TEST_SECRET, startControllableRedis, uniquePrefix, type RedisProcess, waitReady } from '@storefront/test-kit';
import { call, report } from '../support/http';
import { startStorefrontProcesses, type StorefrontProcesses } from '../support/storefront-processes';

let redis: RedisProcess | undefined;
let store: StorefrontProcesses | undefined;

afterAll(async () => {
  await store?.stop();
  await redis?.stop();
});

it(
  'services started with Redis down: they start, /readyz is ' +
    '503, and they serve once Redis is up, without a restart',
  async () => {
    // A Redis that is down but whose port is known: start it, then kill it; start() brings it back on
    // the same port later.
    redis = await startControllableRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    await redis.kill();

    const startedAt = Date.now();
    store = await startStorefrontProcesses({
      redisUrl: redis.url,
      secret: TEST_SECRET,
      prefix: uniquePrefix('faults-down'),
      waitForReady: false,
    });
    const listeningMs = Date.now() - startedAt;
    const pids = store.all().map((service) => service.pid);

    // Give them time to have tried Redis a few times (and to crash, if they were going to).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(store.unexpectedExits()).toEqual([]);
    const readiness = await Promise.all(
      store.all().map(async (service) => [service.app, (await call(service.url, 'GET', '/readyz')).status]),
    );
    expect(Object.fromEntries(readiness)).toEqual({ gateway: 503, inventory: 503, checkout: 503 });
    const health = await Promise.all(
      store.all().map(async (service) => (await call(service.url, 'GET', '/healthz')).status),
    );
    expect(health).toEqual([200, 200, 200]);
    const session = await call(store.gateway.url, 'POST', '/session');
    expect({ status: session.status, code: session.body?.error?.code }).toEqual({
      status: 503,
      code: 'CART_UNAVAILABLE',
    });
    expect(Number(session.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(session.ms).toBeLessThan(1_000);
    // The catalog needs no Redis: it is served all along.
    expect((await call(store.gateway.url, 'GET', '/Items')).status).toBe(200);

    await redis.start();
    const upAt = Date.now();
    await waitReady(
      store.all().map((service) => service.url),
      5_000,
    );
    const readyMs = Date.now() - upAt;
    const token = (await call(store.gateway.url, 'POST', '/session')).body?.token as string;
    const add = await call(store.gateway.url, 'POST', '/Cart/Item', { token, body: { id: 'badger-mug', quantity: 2 } });
    const read = await call(store.gateway.url, 'GET', '/Cart', { token });
    const servingMs = Date.now() - upAt;
    report(
      `Redis down at start: all three listening after ${listeningMs} ms; /readyz ` +
        `${readiness.map(([app, status]) => `${app}=${status}`).join(' ')}; ` +
        `POST /session ${session.status} ${session.body?.error?.code} in ${session.ms} ms; after Redis started: ` +
        `every /readyz 200 in ${readyMs} ms, ` +
        `session+add+read served within ${servingMs} ms (add ${add.status}, read ${read.status}); same pids: ` +
        `${store.all().every((s, i) => s.pid === pids[i])}`,
    );
    expect(add.status).toBe(201);
    expect(read.body).toEqual({ cart: [{ id: 'badger-mug', quantity: 2 }] });
    expect(servingMs).toBeLessThan(5_000);
    // The same processes, never restarted.
    expect(store.all().map((service) => service.pid)).toEqual(pids);
    expect(store.unexpectedExits()).toEqual([]);
  },
  30_000,
);
