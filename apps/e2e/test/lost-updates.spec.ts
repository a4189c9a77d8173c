// One shopper, many adds at once: every acknowledged add is in Redis. The article's approach (GET the
// cart, change it, SET it back) loses most of them under the same load (tools/bench's baseline, whose
// own test shows it); the storefront's add is one atomic script, so it loses none.
import { freshShopper, gatewayIdentity, inspectTestStore, keysMatching, testRedisEnv } from '@storefront/test-kit';
import { call, startStorefront, type Storefront } from './storefront-harness';

// Under the cart's default quantity limit (99 per line), so that no add is refused for it.
const ADDS = 90;
let store: Storefront;

beforeAll(async () => {
  store = await startStorefront({ redisEnv: testRedisEnv() });
});
afterAll(() => store.stop());

it(`${ADDS} adds of one item for one shopper, all at once: the quantity is ${ADDS}`, async () => {
  const shopper = freshShopper();
  const add = () =>
    call(store.inventoryUrl, 'POST', '/Cart/Item', {
      headers: gatewayIdentity(shopper, 'POST', '/Cart/Item'),
      body: { id: 'badger-mug', quantity: 1 },
    });
  const answers = await Promise.all(Array.from({ length: ADDS }, add));
  expect(answers.map((answer) => answer.status)).toEqual(Array(ADDS).fill(201));

  const cart = await call(store.inventoryUrl, 'GET', '/Cart', { headers: gatewayIdentity(shopper, 'GET', '/Cart') });
  expect(cart.body?.cart).toEqual([{ id: 'badger-mug', quantity: ADDS }]);
  // And in Redis itself, the one cart line holds every unit.
  const inspect = inspectTestStore();
  try {
    const keys = await keysMatching(inspect, `${store.prefix}cart:*`);
    expect(keys).toHaveLength(1);
    expect(await inspect.hgetall(keys[0])).toEqual({ 'badger-mug': String(ADDS) });
  } finally {
    await inspect.quit();
  }
});
