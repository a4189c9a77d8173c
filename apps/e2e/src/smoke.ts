// The smoke suite: a short walk through a running storefront, as a shopper would, against any base URL.
//
//   npm run smoke -- http://127.0.0.1:3000 [--min-instances inventory=3]
//
// Prints one line per check and `smoke: N passed, N failed`; exits 1 if any check failed.

import { call as callStorefront, type Answer, type Body } from '../support/http';

const [baseArg, ...rest] = process.argv.slice(2);
if (!baseArg || !/^https?:\/\//.test(baseArg)) {
  process.stderr.write('usage: smoke <base-url> [--min-instances <service>=<n>]...\n');
  process.exit(2);
}
const base = baseArg.replace(/\/+$/, '');
const minInstances = new Map<string, number>();
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--min-instances') {
    const [service, count] = (rest[++i] ?? '').split('=');
    minInstances.set(service, Number(count));
  }
}

function call(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Answer> {
  return callStorefront(base, method, path, { ...options, timeoutMs: 5_000 });
}

let passed = 0;
let failed = 0;

async function check(name: string, run: () => Promise<string | void>): Promise<void> {
  try {
    const detail = await run();
    passed++;
    process.stdout.write(`  ok    ${name}${detail ? `: ${detail}` : ''}\n`);
  } catch (err) {
    failed++;
    process.stdout.write(`  FAIL  ${name}: ${(err as Error).message}\n`);
  }
}

function ensure(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** A field of a JSON answer; a failed check where the answer has none. */
function field<K extends keyof Body>(answer: Answer, key: K): NonNullable<Body[K]> {
  const value = answer.body?.[key];
  ensure(value !== undefined && value !== null, `no ${key} in the answer: ${answer.text}`);
  return value;
}

function expectStatus(answer: Answer, status: number, code?: string): void {
  const got = `${answer.status}${answer.body?.error?.code ? ` ${answer.body.error.code}` : ''}`;
  ensure(
    answer.status === status && (code === undefined || answer.body?.error?.code === code),
    `expected ${status}${code ? ` ${code}` : ''}, got ${got}`,
  );
}

async function main(): Promise<void> {
  process.stdout.write(`smoke: ${base}\n`);
  let token = '';

  await check('GET /healthz and /readyz answer 200', async () => {
    expectStatus(await call('GET', '/healthz'), 200);
    expectStatus(await call('GET', '/readyz'), 200);
  });
  await check('POST /session issues a token', async () => {
    const answer = await call('POST', '/session');
    expectStatus(answer, 201);
    token = field(answer, 'token');
    ensure(/^[A-Za-z0-9_-]{22,}$/.test(token), 'token is not URL-safe or too short');
  });
  await check('GET /Items lists the catalog', async () => {
    const answer = await call('GET', '/Items');
    expectStatus(answer, 200);
    const items = field(answer, 'items');
    ensure(items.length >= 12, `only ${items.length} items`);
    return `${items.length} items`;
  });
  await check('POST /Cart/Item adds to the cart', async () => {
    expectStatus(await call('POST', '/Cart/Item', { token, body: { id: 'badger-mug', quantity: 2 } }), 201);
    const answer = await call('POST', '/Cart/Item', { token, body: { id: 'badger-tee' } });
    expectStatus(answer, 201);
    const cart = field(answer, 'cart');
    ensure(cart.length === 2, `cart has ${cart.length} lines`);
  });
  await check('GET /Cart shows it', async () => {
    const answer = await call('GET', '/Cart', { token });
    expectStatus(answer, 200);
    const mug = field(answer, 'cart').find((line) => line.id === 'badger-mug');
    ensure(mug?.quantity === 2, `mug line is ${JSON.stringify(mug)}`);
  });
  await check('PATCH /Cart/checkout places the order', async () => {
    const answer = await call('PATCH', '/Cart/checkout', { token, body: { payment: { token: 'tok_visa' } } });
    expectStatus(answer, 200);
    const message = field(answer, 'message');
    ensure(message === 'Thanks for shopping with us!', `message ${message}`);
    const order = field(answer, 'order');
    ensure(order.total === 2 * 1250 + 2400, `total ${order.total}`);
    return order.id;
  });
  await check('the cart is empty after checkout', async () => {
    const answer = await call('GET', '/Cart', { token });
    expectStatus(answer, 200);
    const cart = field(answer, 'cart');
    ensure(cart.length === 0, `cart still has ${JSON.stringify(cart)}`);
  });
  await check('a declined payment answers 402 and keeps the cart', async () => {
    expectStatus(await call('POST', '/Cart/Item', { token, body: { id: 'badger-socks' } }), 201);
    expectStatus(
      await call('PATCH', '/Cart/checkout', { token, body: { payment: { token: 'tok_declined' } } }),
      402,
      'PAYMENT_DECLINED',
    );
    const answer = await call('GET', '/Cart', { token });
    const cart = field(answer, 'cart');
    ensure(cart.length === 1, `cart is ${JSON.stringify(cart)}`);
  });
  await check('an unknown route answers 404 NOT_FOUND as JSON', async () => {
    expectStatus(await call('GET', '/no/such/route'), 404, 'NOT_FOUND');
  });
  await check('a cart request without a session answers 401', async () => {
    expectStatus(await call('GET', '/Cart'), 401, 'UNAUTHENTICATED');
  });
  await check('requests are spread over the service instances, and the cart stays one cart', async () => {
    const seen = new Map<string, Set<string>>();
    const note = (answer: Answer) => {
      const [service, instance] = (answer.headers.get('x-served-by') ?? 'unknown/unknown').split('/');
      if (!seen.has(service)) seen.set(service, new Set());
      seen.get(service)?.add(instance);
    };
    for (let i = 0; i < 30; i++) {
      const answer = await call('POST', '/Cart/Item', { token, body: { id: 'badger-stickers' } });
      expectStatus(answer, 201);
      note(answer);
    }
    // Checkouts of an empty cart: answered by checkout, changing nothing.
    const empty = field(await call('POST', '/session'), 'token');
    for (let i = 0; i < 12; i++) {
      const answer = await call('PATCH', '/Cart/checkout', { token: empty, body: { payment: { token: 'tok_visa' } } });
      expectStatus(answer, 400, 'CART_EMPTY');
      note(answer);
    }
    const cart = await call('GET', '/Cart', { token });
    const stickers = field(cart, 'cart').find((line) => line.id === 'badger-stickers');
    ensure(stickers?.quantity === 30, `30 adds gave ${stickers?.quantity}`);
    for (const [service, min] of minInstances) {
      const count = seen.get(service)?.size ?? 0;
      ensure(count >= min, `${service}: ${count} instance(s) answered, expected at least ${min}`);
    }
    return [...seen].map(([service, instances]) => `${service} x${instances.size}`).join(', ');
  });

  process.stdout.write(`smoke: ${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`smoke: ${(err as Error).stack}\n`);
  process.exit(1);
});
