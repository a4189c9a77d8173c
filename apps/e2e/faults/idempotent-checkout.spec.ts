// 20 concurrent checkouts of one cart with one Idempotency-Key through the gateway place
// exactly one order; every other answer is 409 IDEMPOTENCY_IN_PROGRESS or the first answer replayed
// (same order id, Idempotent-Replayed: true). Then the same while the gateway process is stopped
// (SIGTERM) and started again on its port with requests in flight: a client that retries what failed
// to connect (safe, that is what the key is for) still ends with one order.
import { connectTestRedis } from '@storefront/test-kit';
import { call, countBy, formatCounts, newSession, report, type Answer } from '../support/http';
import { useFaultStorefront } from './fault-scaffold';

const CLIENTS = 20;
const PAYMENT = { payment: { token: 'tok_visa' } };
const CART = [
  { id: 'badger-mug', quantity: 2 },
  { id: 'badger-tee', quantity: 1 },
  { id: 'badger-socks', quantity: 3 },
];

// Checkout talks to Redis through the proxy, so the second test can slow its claim and settle down
// and be sure to have checkouts in flight when the gateway stops. Checkout logs "order placed" (at
// info) for every order it places: the count of orders from the service's own side, whatever the
// clients saw.
const storefront = useFaultStorefront('faults-idem', { proxied: ['checkout'], logLevels: { checkout: 'info' } });

async function filledCart(gatewayUrl: string): Promise<string> {
  const token = await newSession(gatewayUrl);
  for (const line of CART)
    expect((await call(gatewayUrl, 'POST', '/Cart/Item', { token, body: line })).status).toBe(201);
  return token;
}

/** Orders checkout logged as placed since `from` (an offset into its output). */
function ordersPlaced(from: number): string[] {
  return storefront
    .front()
    .checkout.output()
    .slice(from)
    .split('\n')
    .filter((line) => line.includes('"order placed"'))
    .map((line) => JSON.parse(line).orderId as string);
}

function tally(answers: Answer[]) {
  const ok = answers.filter((a) => a.status === 200);
  return {
    byStatus: countBy(answers, (a) => {
      const replayed = a.headers.get('idempotent-replayed') ? ' replayed' : '';
      return `${a.status}${a.body?.error?.code ? ` ${a.body.error.code}` : ''}${replayed}`;
    }),
    orderIds: [...new Set(ok.map((a) => a.body?.order?.id as string))],
    firstAnswers: ok.filter((a) => a.headers.get('idempotent-replayed') !== 'true').length,
    others: answers.filter(
      (a) =>
        !(a.status === 200 && a.body?.order?.id) &&
        !(
          a.status === 409 &&
          a.body?.error?.code === 'IDEMPOTENCY_IN_PROGRESS' &&
          Number(a.headers.get('retry-after')) >= 1
        ),
    ),
  };
}

async function expectOneOrderInRedisAndCartEmpty(gatewayUrl: string, token: string) {
  expect((await call(gatewayUrl, 'GET', '/Cart', { token })).body).toEqual({ cart: [] });
  const check = connectTestRedis(storefront.redis().url);
  try {
    // Nothing claimed is left behind (the order's lines left for good).
    expect(await check.keys(`${storefront.prefix}claim:*`)).toEqual([]);
  } finally {
    check.disconnect();
  }
}

it(
  `${CLIENTS} concurrent checkouts with one Idempotency-Key: exactly ` +
    `one order, the rest 409 IDEMPOTENCY_IN_PROGRESS or the replay`,
  async () => {
    const front = storefront.front();
    const token = await filledCart(front.gateway.url);
    const logFrom = front.checkout.output().length;
    const headers = { 'Idempotency-Key': 'order-concurrent-1' };

    const answers = await Promise.all(
      Array.from({ length: CLIENTS }, () =>
        call(front.gateway.url, 'PATCH', '/Cart/checkout', { token, body: PAYMENT, headers }),
      ),
    );
    const later = await call(front.gateway.url, 'PATCH', '/Cart/checkout', { token, body: PAYMENT, headers });
    const { byStatus, orderIds, firstAnswers, others } = tally(answers);
    const placed = ordersPlaced(logFrom);
    report(
      `${CLIENTS} concurrent checkouts, one key: ${formatCounts(byStatus)}; distinct order ids in 200s: ` +
        `${orderIds.length}; ` +
        `orders checkout logged as placed: ${placed.length}; a retry afterwards: ${later.status} ` +
        `replayed=${later.headers.get('idempotent-replayed')}`,
    );

    expect(others.map((a) => [a.status, a.body])).toEqual([]);
    expect(orderIds).toHaveLength(1);
    expect(firstAnswers).toBe(1);
    expect(placed).toEqual(orderIds);
    expect(later.status).toBe(200);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(later.body?.order?.id).toBe(orderIds[0]);
    expect(later.body?.order?.items).toEqual(expect.arrayContaining(CART.map((line) => expect.objectContaining(line))));
    await expectOneOrderInRedisAndCartEmpty(front.gateway.url, token);
  },
);

it(`the same with the gateway stopped (SIGTERM) and started again mid-way: still exactly one order`, async () => {
  const front = storefront.front();
  const link = storefront.proxy();
  const token = await filledCart(front.gateway.url);
  const logFrom = front.checkout.output().length;
  const headers = { 'Idempotency-Key': 'order-restart-1' };
  // 100 ms each way on checkout's Redis link: a checkout (claim, then settle) takes at least 400 ms,
  // so the first ones are still running when the gateway gets SIGTERM (it must let them finish).
  link.setLatency(100);

  let connectFailures = 0;
  let attempts = 0;
  // A client that retries a request that got no HTTP answer (refused while the gateway is down, or a
  // kept-alive socket the old gateway closed): with the same Idempotency-Key and body that is safe.
  const answeredAt: number[] = [];
  const client = async (delayMs: number): Promise<Answer> => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const deadline = Date.now() + 20_000;
    for (;;) {
      attempts += 1;
      try {
        const answer = await call(front.gateway.url, 'PATCH', '/Cart/checkout', { token, body: PAYMENT, headers });
        answeredAt.push(Date.now());
        return answer;
      } catch (err) {
        connectFailures += 1;
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };

  try {
    const started = Date.now();
    // Half the clients arrive over the first 400 ms, and the gateway gets SIGTERM after 150 ms, while the
    // first of them are in flight and the others are still coming (they find it stopping, or gone, and
    // retry). The other half arrive as soon as the new gateway listens: whatever the old one did, the
    // new one must answer the same order.
    const early = Array.from({ length: CLIENTS / 2 }, (_, i) => client(i * 40));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const oldPid = front.gateway.pid;
    let downAt = 0;
    const { exitCode, exitSignal, exitMs } = await front.restartGateway({
      afterExit: () => void (downAt = Date.now()),
    });
    const upAt = Date.now();
    const late = Array.from({ length: CLIENTS / 2 }, () => client(0));
    const answers = await Promise.all([...early, ...late]);
    const later = await call(front.gateway.url, 'PATCH', '/Cart/checkout', { token, body: PAYMENT, headers });
    const { byStatus, orderIds, firstAnswers, others } = tally(answers);
    const placed = ordersPlaced(logFrom);
    report(
      `${CLIENTS} checkouts, one key, gateway restarted: SIGTERM at 150 ms, old gateway (pid ${oldPid}) exited ` +
        `${exitCode ?? exitSignal} ${exitMs} ms after SIGTERM (at ${downAt - started} ms), ` +
        `new one (pid ${front.gateway.pid}) listening at ${upAt - started} ms; ${attempts} attempts, ` +
        `${connectFailures} without an HTTP answer (retried); ` +
        `answered while the old gateway ran ${answeredAt.filter((t) => t <= downAt).length}, by the new one ` +
        `${answeredAt.filter((t) => t > downAt).length}; ` +
        `answers: ${formatCounts(byStatus)}; distinct order ids in 200s: ${orderIds.length}; orders checkout ` +
        `logged as placed: ${placed.length}; ` +
        `a retry afterwards: ${later.status} replayed=${later.headers.get('idempotent-replayed')}`,
    );

    expect(front.gateway.pid).not.toBe(oldPid);
    // The restart did cut some clients off (they retried), and both gateways answered.
    expect(connectFailures).toBeGreaterThan(0);
    expect(answeredAt.filter((t) => t > downAt).length).toBeGreaterThanOrEqual(CLIENTS / 2);
    expect(others.map((a) => [a.status, a.body])).toEqual([]);
    expect(orderIds).toHaveLength(1);
    // At most one client got the first answer: the one whose request placed the order, unless its
    // answer was lost with the old gateway (then it got the replay on its retry).
    expect(firstAnswers).toBeLessThanOrEqual(1);
    expect(placed).toEqual(orderIds);
    expect(later.status).toBe(200);
    expect(later.body?.order?.id).toBe(orderIds[0]);
    await expectOneOrderInRedisAndCartEmpty(front.gateway.url, token);
    expect(front.unexpectedExits()).toEqual([]);
    // SIGTERM (docs/CONTRACT.md "Operations"): finish what is in flight, exit 0. The checkouts in flight
    // take about half a second here; 3 s is the bound apps/e2e/test/process.spec.ts holds the
    // services to with an idle keep-alive connection.
    expect({ exitCode, exitSignal }).toEqual({ exitCode: 0, exitSignal: null });
    expect(exitMs).toBeLessThan(3_000);
  } finally {
    link.setLatency(0);
  }
}, 60_000);
