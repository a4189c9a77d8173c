// The cart operations as the metrics count them: each operation once, by its outcome, on a real Redis
// and on a connection that is gone.
import { randomBytes } from 'node:crypto';
import { countOperations, createCartCache, type CartOperation } from '@storefront/cart-cache';
import { TEST_SECRET, connectTestStore, freshShopper, uniquePrefix, useTestStore } from '@storefront/test-kit';

// On whatever topology the run has (npm run test:topologies runs this on a Cluster and on Sentinel).
const store = useTestStore('counted');

function recorder() {
  const seen: string[] = [];
  return { seen, observe: (operation: CartOperation, outcome: string) => seen.push(`${operation} ${outcome}`) };
}

it('counts ok and limit outcomes, a limit refused without a round trip too', async () => {
  const redis = store.connection().client;
  const { seen, observe } = recorder();
  const carts = countOperations(
    createCartCache({ redis, secret: TEST_SECRET, prefix: uniquePrefix('counted'), limits: { maxQuantity: 3 } }),
    observe,
  );
  const shopper = freshShopper();
  await carts.add(shopper, 'badger-mug', 2);
  await expect(carts.add(shopper, 'badger-mug', 2)).rejects.toMatchObject({ code: 'CART_LIMIT' }); // in the script
  await expect(carts.add(shopper, 'badger-mug', 4)).rejects.toMatchObject({ code: 'CART_LIMIT' }); // before it
  await expect(carts.setQuantity(shopper, 'badger-mug', 1)).resolves.toEqual([{ id: 'badger-mug', quantity: 1 }]);
  await carts.remove(shopper, 'badger-mug');
  await carts.read(shopper);
  expect(seen).toEqual(['add ok', 'add limit', 'add limit', 'set ok', 'remove ok', 'read ok']);
});

it('counts an operation Redis could not serve as unavailable, and a replayed hand-off as other', async () => {
  // A closed connection: every command fails at once, as with Redis gone.
  const down = await connectTestStore('counted-down');
  await down.close();
  const up = store.connection().client;
  const { seen, observe } = recorder();
  const prefix = uniquePrefix('counted');
  await expect(
    countOperations(createCartCache({ redis: down.client, secret: TEST_SECRET, prefix }), observe).read(freshShopper()),
  ).rejects.toMatchObject({ code: 'CART_UNAVAILABLE' });
  const carts = countOperations(createCartCache({ redis: up, secret: TEST_SECRET, prefix }), observe);
  const shopper = freshShopper();
  const nonce = randomBytes(8).toString('hex');
  const handoff = () => ({ userToken: shopper, handoff: { nonce, spent: false } });
  await carts.read(handoff());
  await expect(carts.read(handoff())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  expect(seen).toEqual(['read unavailable', 'read ok', 'read other']);
});
