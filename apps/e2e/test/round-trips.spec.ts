// Redis round trips per operation, counted exactly: every command the storefront's Redis clients send
// while N requests are answered (the services run in this process, so commandsSentDuring sees all of
// them). A command a Lua script runs inside Redis is no round trip and is not sent, so it is not
// counted. These counts are what the design promises (docs/DECISIONS.md): one round trip per cart
// operation, three per checkout (session check, claim, settle). On any topology (npm run
// test:topologies can run this file on a Cluster and on Sentinel).
import { freshShopper, gatewayIdentity, commandsSentDuring, testRedisEnv } from '@storefront/test-kit';
import { call, newSession, startStorefront, type Storefront } from './storefront-harness';

const REQUESTS = 20;
// What a Redis client sends to keep its connections (a Cluster client's slot refreshes, a new node
// connection's name and READONLY): no request's doing, and never in a request's round trips.
const HOUSEKEEPING = new Set(['cluster', 'client', 'readonly', 'hello', 'info', 'select', 'auth']);
let store: Storefront;

beforeAll(async () => {
  store = await startStorefront({ redisEnv: testRedisEnv() });
});
afterAll(() => store.stop());

/** A request straight to inventory, with the hand-off the gateway would sign for it. */
function direct(method: string, path: string, shopper: string, body?: unknown) {
  return call(store.inventoryUrl, method, path, { headers: gatewayIdentity(shopper, method, path), body });
}

/** Commands sent per request while `request(i)` runs for i = 0..REQUESTS-1, one after another. */
async function commandsPerRequest(request: (i: number) => Promise<{ status: number }>, status: number) {
  const statuses: number[] = [];
  const commands = await commandsSentDuring(async () => {
    for (let i = 0; i < REQUESTS; i++) statuses.push((await request(i)).status);
  });
  expect(statuses).toEqual(Array(REQUESTS).fill(status));
  return commands.filter((command) => !HOUSEKEEPING.has(command.name)).length / REQUESTS;
}

describe('straight to inventory, one round trip per operation', () => {
  const shoppers = Array.from({ length: REQUESTS }, () => freshShopper());
  // Warm: each script's first call on a connection is no different, but the connection is up.
  beforeAll(async () => {
    for (const shopper of shoppers) {
      expect((await direct('POST', '/Cart/Item', shopper, { id: 'badger-mug' })).status).toBe(201);
    }
  });

  it('add to cart (POST /Cart/Item)', async () => {
    const perAdd = await commandsPerRequest(
      (i) => direct('POST', '/Cart/Item', shoppers[i], { id: 'badger-tee' }),
      201,
    );
    expect(perAdd).toBe(1);
  });

  it('change a quantity (PUT /Cart/Item/:id)', async () => {
    const perSet = await commandsPerRequest(
      (i) => direct('PUT', '/Cart/Item/badger-mug', shoppers[i], { quantity: 3 }),
      200,
    );
    expect(perSet).toBe(1);
  });

  it('read the cart (GET /Cart)', async () => {
    expect(await commandsPerRequest((i) => direct('GET', '/Cart', shoppers[i]), 200)).toBe(1);
  });

  it('remove a line (DELETE /Cart/Item/:id)', async () => {
    expect(await commandsPerRequest((i) => direct('DELETE', '/Cart/Item/badger-mug', shoppers[i]), 200)).toBe(1);
  });
});

describe('through the gateway', () => {
  it('add to cart: the session check, then the add', async () => {
    const token = await newSession(store.gatewayUrl);
    const add = () => call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id: 'badger-mug' } });
    expect(await commandsPerRequest(add, 201)).toBe(2);
  });

  it('checkout of a 3-line cart: the session check, the claim, the settlement', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const token = await newSession(store.gatewayUrl);
      for (const id of ['badger-mug', 'badger-tee', 'badger-hoodie']) {
        expect((await call(store.gatewayUrl, 'POST', '/Cart/Item', { token, body: { id } })).status).toBe(201);
      }
      tokens.push(token);
    }
    const checkout = (i: number) =>
      call(store.gatewayUrl, 'PATCH', '/Cart/checkout', {
        token: tokens[i],
        headers: { 'Idempotency-Key': `round-trips-${i}` },
        body: { payment: { token: 'tok_visa' } },
      });
    expect(await commandsPerRequest(checkout, 200)).toBe(3);
  });
});
