// A slow link between the services and Redis (our fault proxy, 200 ms of round trip added)
// must not turn into failures or, worse, into changes applied twice. A client that timed out and
// retried a command would do exactly that; the fast-fail client never retries (maxRetriesPerRequest 0)
// and this shows it at the level of the cart.
import { connectTestRedis, inPool, percentile } from '@storefront/test-kit';
import { call, countBy, formatCounts, newSession, report } from '../support/http';
import { useFaultStorefront } from './fault-scaffold';

// 100 ms each way, so 200 ms added to every Redis round trip. The request-path client gives a command
// 500 ms (REDIS_COMMAND_TIMEOUT_MS, also the socket's silence timeout): 200 ms each way would make the
// round trip 400 ms plus Redis and the event loops of a loaded 2-core machine, too close to 500 ms to
// tell a product fault from scheduling noise. A 200 ms round trip leaves 300 ms of margin.
const LATENCY_EACH_WAY_MS = 100;
const ADDS = 40;
const CONCURRENCY = 10;

// Every service talks to Redis through the proxy only.
const storefront = useFaultStorefront('faults-latency', { proxied: ['gateway', 'inventory', 'checkout'] });

it(
  `${LATENCY_EACH_WAY_MS} ms each way on the Redis link: every request ` +
    `succeeds and ${ADDS} concurrent adds of 1 end at exactly ${ADDS}`,
  async () => {
    const front = storefront.front();
    const link = storefront.proxy();
    link.setLatency(LATENCY_EACH_WAY_MS);
    // A command that timed out would drop its connection (socketTimeout) and the client would connect
    // again: counting the proxy's connections shows whether any did.
    const connectionsBefore = link.connectionsAccepted();

    const token = await newSession(front.gateway.url);
    const adds = await inPool(Array.from({ length: ADDS }), CONCURRENCY, () =>
      call(front.gateway.url, 'POST', '/Cart/Item', { token, body: { id: 'badger-hoodie', quantity: 1 } }),
    );
    const read = await call(front.gateway.url, 'GET', '/Cart', { token });
    const checkout = await call(front.gateway.url, 'PATCH', '/Cart/checkout', {
      token,
      body: { payment: { token: 'tok_visa' } },
      headers: { 'Idempotency-Key': 'latency-1' },
    });
    const afterCheckout = await call(front.gateway.url, 'GET', '/Cart', { token });
    const connectionsAfter = link.connectionsAccepted();

    const latencies = adds.map((answer) => answer.ms);
    report(
      `${LATENCY_EACH_WAY_MS} ms each way (${2 * LATENCY_EACH_WAY_MS} ms per Redis round trip): ${ADDS} adds at ` +
        `${CONCURRENCY} at a time: ` +
        `${formatCounts(countBy(adds, (a) => String(a.status)))}, latency min ${Math.min(...latencies)} p50 ` +
        `${percentile(latencies, 0.5)} max ${Math.max(...latencies)} ms; ` +
        `cart after: ${JSON.stringify(read.body)} (${read.ms} ms); checkout ${checkout.status} in ${checkout.ms} ms; ` +
        `proxy connections accepted during the test: ${connectionsAfter - connectionsBefore}`,
    );

    expect(adds.filter((answer) => answer.status !== 201).map((a) => [a.status, a.body])).toEqual([]);
    // The latency was really there: a request through the gateway makes at least two Redis round trips
    // (the session, then the cart script).
    expect(Math.min(...latencies)).toBeGreaterThanOrEqual(4 * LATENCY_EACH_WAY_MS);
    // Exactly ADDS: none lost, none applied twice.
    expect(read.body).toEqual({ cart: [{ id: 'badger-hoodie', quantity: ADDS }] });
    expect(checkout.status).toBe(200);
    expect(checkout.body?.order?.items).toEqual([expect.objectContaining({ id: 'badger-hoodie', quantity: ADDS })]);
    expect(afterCheckout.body).toEqual({ cart: [] });
    expect(connectionsAfter - connectionsBefore).toBe(0);
    expect(storefront.front().unexpectedExits()).toEqual([]);

    // And in Redis itself: the order took the ADDS units, nothing came back, nothing else is left.
    const check = connectTestRedis(storefront.redis().url);
    try {
      const carts = await check.keys(`${storefront.prefix}cart:*`);
      const claims = await check.keys(`${storefront.prefix}claim:*`);
      expect({ carts, claims }).toEqual({ carts: [], claims: [] });
    } finally {
      check.disconnect();
    }
  },
  60_000,
);
