// The cart operations against a real Redis: results, the state left in Redis, expiry and limits.
import type { Cluster, Redis } from 'ioredis';
import {
  CartLimitError,
  CheckoutInProgressError,
  createCartCache,
  type CartCache,
  type CartLine,
} from '@storefront/cart-cache';
import { TEST_SECRET, freshShopper, keysMatching, uniquePrefix, useTestStore } from '@storefront/test-kit';

const TTL_SECONDS = 3600;
const store = useTestStore();
let redis: Redis | Cluster;
let inspect: Redis | Cluster;
let prefix: string;

const sorted = (cart: CartLine[]) => [...cart].sort((a, b) => a.id.localeCompare(b.id));

beforeAll(() => {
  redis = store.connection().client;
  inspect = store.inspect();
});
beforeEach(() => {
  prefix = uniquePrefix('cart-cache');
});

function cache(overrides: Partial<Parameters<typeof createCartCache>[0]> = {}) {
  return createCartCache({ redis, secret: TEST_SECRET, prefix, ttlSeconds: TTL_SECONDS, ...overrides });
}

/** A fresh shopper with one mug in the cart, whose checkout claim was taken (with `idempotency`, if given). */
async function shopperWithClaim(carts: CartCache, idempotency?: { key: string; fingerprint: string }) {
  const shopper = freshShopper();
  await carts.add(shopper, 'badger-mug', 1);
  const claim = await carts.claim(shopper, idempotency);
  if (claim.kind !== 'claimed') throw new Error('expected a claim');
  return { shopper, claimId: claim.claimId };
}

async function keysOf(pattern = `${prefix}*`): Promise<string[]> {
  return keysMatching(inspect, pattern);
}

describe('createCartCache options', () => {
  it('refuses a missing client, a short secret and non-integer limits with a TypeError naming the option', () => {
    expect(() => createCartCache({ redis: undefined as never, secret: TEST_SECRET })).toThrow(/redis option/);
    expect(() => createCartCache({ redis, secret: 'short' })).toThrow(/secret option/);
    expect(() => createCartCache({ redis, secret: TEST_SECRET, ttlSeconds: 0 })).toThrow(/ttlSeconds option/);
    expect(() => createCartCache({ redis, secret: TEST_SECRET, limits: { maxLines: 1.5 } })).toThrow(/limits.maxLines/);
  });

  it('defaults to 7 days, 99 per line and 50 lines', () => {
    const defaults = createCartCache({ redis, secret: TEST_SECRET });
    expect(defaults.ttlSeconds).toBe(7 * 24 * 3600);
    expect(defaults.limits).toEqual({ maxQuantity: 99, maxLines: 50 });
  });
});

describe('cart operations', () => {
  it('reads an unknown cart as empty and writes nothing', async () => {
    expect(await cache().read(freshShopper())).toEqual([]);
    expect(await keysOf()).toEqual([]);
  });

  it('adds to a line, creating it, and keeps the lines in a Redis hash', async () => {
    const carts = cache();
    const shopper = freshShopper();
    expect(await carts.add(shopper, 'badger-mug', 2)).toEqual([{ id: 'badger-mug', quantity: 2 }]);
    expect(sorted(await carts.add(shopper, 'badger-tee', 1))).toEqual([
      { id: 'badger-mug', quantity: 2 },
      { id: 'badger-tee', quantity: 1 },
    ]);
    expect(await carts.add(shopper, 'badger-mug', 3)).toContainEqual({ id: 'badger-mug', quantity: 5 });
    const [cartKey] = await keysOf(`${prefix}cart:*`);
    expect(await inspect.hgetall(cartKey)).toEqual({ 'badger-mug': '5', 'badger-tee': '1' });
    expect(sorted(await carts.read(shopper))).toEqual([
      { id: 'badger-mug', quantity: 5 },
      { id: 'badger-tee', quantity: 1 },
    ]);
  });

  it('sets a line, creating it, and removes it at quantity 0', async () => {
    const carts = cache();
    const shopper = freshShopper();
    expect(await carts.setQuantity(shopper, 'badger-socks', 7)).toEqual([{ id: 'badger-socks', quantity: 7 }]);
    expect(await carts.setQuantity(shopper, 'badger-socks', 3)).toEqual([{ id: 'badger-socks', quantity: 3 }]);
    expect(await carts.setQuantity(shopper, 'badger-socks', 0)).toEqual([]);
    expect(await keysOf()).toEqual([]);
  });

  it('removes a line, and removing an absent line is not an error', async () => {
    const carts = cache();
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    await carts.add(shopper, 'badger-tee', 1);
    expect(await carts.remove(shopper, 'badger-mug')).toEqual([{ id: 'badger-tee', quantity: 1 }]);
    expect(await carts.remove(shopper, 'not-in-cart')).toEqual([{ id: 'badger-tee', quantity: 1 }]);
    expect(await carts.remove(freshShopper(), 'badger-tee')).toEqual([]);
  });

  it('keeps shoppers apart', async () => {
    const carts = cache();
    const [alice, bob] = [freshShopper(), freshShopper()];
    await carts.add(alice, 'badger-mug', 1);
    expect(await carts.read(bob)).toEqual([]);
  });

  it('never puts the user token into a key name', async () => {
    const carts = cache();
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    const keys = await keysOf();
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(shopper);
    expect(keys[0]).toMatch(new RegExp(`^${prefix}cart:\\{[A-Za-z0-9_-]{32}\\}$`));
  });
});

describe('expiry', () => {
  it('sets the TTL on the first change and slides it on every read and change', async () => {
    const carts = cache();
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    const [cartKey] = await keysOf(`${prefix}cart:*`);
    const first = await inspect.pttl(cartKey);
    expect(first).toBeGreaterThan((TTL_SECONDS - 5) * 1000);
    expect(first).toBeLessThanOrEqual(TTL_SECONDS * 1000);

    // Shorten the TTL by hand, then check that each operation puts it back to the full period.
    for (const operation of [
      () => carts.read(shopper),
      () => carts.add(shopper, 'badger-mug', 1),
      () => carts.setQuantity(shopper, 'badger-mug', 4),
      () => carts.remove(shopper, 'absent-item'),
    ]) {
      await inspect.pexpire(cartKey, 10_000);
      await operation();
      expect(await inspect.pttl(cartKey)).toBeGreaterThan((TTL_SECONDS - 5) * 1000);
    }
  });

  it('forgets a cart after its TTL without activity', async () => {
    const carts = cache({ ttlSeconds: 1 });
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    const [cartKey] = await keysOf(`${prefix}cart:*`);
    await inspect.pexpire(cartKey, 20); // the 1 s TTL, shortened so the test need not sleep for it
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await carts.read(shopper)).toEqual([]);
  });
});

describe('limits', () => {
  it('refuses an add past the per-line limit whole, leaving the cart as it was', async () => {
    const carts = cache({ limits: { maxQuantity: 5 } });
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 4);
    await expect(carts.add(shopper, 'badger-mug', 2)).rejects.toThrow(CartLimitError);
    await expect(carts.add(shopper, 'badger-tee', 6)).rejects.toMatchObject({ code: 'CART_LIMIT', status: 422 });
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 4 }]);
  });

  it('refuses a new line past the line limit, but still lets existing lines grow', async () => {
    const carts = cache({ limits: { maxLines: 2 } });
    const shopper = freshShopper();
    await carts.add(shopper, 'a', 1);
    await carts.add(shopper, 'b', 1);
    await expect(carts.add(shopper, 'c', 1)).rejects.toMatchObject({ code: 'CART_LIMIT' });
    await expect(carts.setQuantity(shopper, 'c', 1)).rejects.toMatchObject({ code: 'CART_LIMIT' });
    await carts.add(shopper, 'a', 1);
    await carts.setQuantity(shopper, 'b', 9);
    expect(sorted(await carts.read(shopper))).toEqual([
      { id: 'a', quantity: 2 },
      { id: 'b', quantity: 9 },
    ]);
  });

  it('refuses a set above the per-line limit', async () => {
    const carts = cache({ limits: { maxQuantity: 5 } });
    const shopper = freshShopper();
    await expect(carts.setQuantity(shopper, 'a', 6)).rejects.toMatchObject({ code: 'CART_LIMIT' });
    expect(await carts.read(shopper)).toEqual([]);
  });
});

describe('checkout claim', () => {
  it('claims every line, leaving an empty cart for adds made meanwhile, and a second claim is refused', async () => {
    const carts = cache();
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 2);
    const claim = await carts.claim(shopper);
    expect(claim).toMatchObject({ kind: 'claimed', lines: [{ id: 'badger-mug', quantity: 2 }] });
    expect(await carts.read(shopper)).toEqual([]);
    await carts.add(shopper, 'badger-tee', 1);
    await expect(carts.claim(shopper)).rejects.toThrow(CheckoutInProgressError);
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-tee', quantity: 1 }]);
  });

  it('answers empty for an empty cart', async () => {
    expect(await cache().claim(freshShopper())).toEqual({ kind: 'empty' });
  });

  it('drops the claimed lines once the order is placed, keeping what was added meanwhile', async () => {
    const carts = cache();
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 2);
    const claim = await carts.claim(shopper);
    await carts.add(shopper, 'badger-tee', 1);
    if (claim.kind !== 'claimed') throw new Error('expected a claim');
    expect(await carts.settle(shopper, { claimId: claim.claimId, outcome: 'placed' })).toBe(true);
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-tee', quantity: 1 }]);
    expect(await keysOf(`${prefix}claim*`)).toEqual([]);
  });

  it('puts claimed lines back merged with what was added meanwhile, capped at the line limit', async () => {
    const carts = cache({ limits: { maxQuantity: 10 } });
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 8);
    await carts.add(shopper, 'badger-tee', 1);
    const claim = await carts.claim(shopper);
    await carts.add(shopper, 'badger-mug', 5);
    if (claim.kind !== 'claimed') throw new Error('expected a claim');
    await carts.settle(shopper, { claimId: claim.claimId, outcome: 'put-back' });
    expect(sorted(await carts.read(shopper))).toEqual([
      { id: 'badger-mug', quantity: 10 },
      { id: 'badger-tee', quantity: 1 },
    ]);
    expect(await keysOf(`${prefix}claim*`)).toEqual([]);
  });

  it('returns the lines of a checkout that died to the cart once its lease runs out', async () => {
    const carts = cache({ checkoutLeaseMs: 100 });
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 2);
    await carts.claim(shopper);
    expect(await carts.read(shopper)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 2 }]);
    // A late settle of the dead checkout does not drop lines that already went back.
    expect(await carts.settle(shopper, { claimId: 'the-dead-one', outcome: 'placed' })).toBe(false);
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 2 }]);
  });

  it('gives the cart that a returned claim creates its TTL, even when the change it came with is refused', async () => {
    const carts = cache({ checkoutLeaseMs: 50, limits: { maxQuantity: 2 } });
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 2);
    await carts.claim(shopper);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(carts.add(shopper, 'badger-mug', 1)).rejects.toThrow(CartLimitError);
    const [cartKey] = await keysOf(`${prefix}cart:*`);
    expect(await inspect.pttl(cartKey)).toBeGreaterThan((TTL_SECONDS - 5) * 1000);
    expect(await carts.read(shopper)).toEqual([{ id: 'badger-mug', quantity: 2 }]);
  });

  it('lets a checkout whose lease ran out still drop its paid lines, if nobody took them back yet', async () => {
    const carts = cache({ checkoutLeaseMs: 50 });
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 2);
    const claim = await carts.claim(shopper);
    if (claim.kind !== 'claimed') throw new Error('expected a claim');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await carts.settle(shopper, { claimId: claim.claimId, outcome: 'placed' })).toBe(true);
    expect(await carts.read(shopper)).toEqual([]);
    expect(await keysOf()).toEqual([]);
  });

  it('keeps the claim at least as long as two leases, whatever the cart TTL', async () => {
    const carts = cache({ ttlSeconds: 1, checkoutLeaseMs: 60_000 });
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 1);
    await carts.claim(shopper);
    const [claimKey] = await keysOf(`${prefix}claim:*`);
    expect(await inspect.pttl(claimKey)).toBeGreaterThan(119_000);
  });

  it('keeps every key of one shopper in one hash slot', async () => {
    const carts = cache();
    const shopper = freshShopper();
    await carts.add(shopper, 'badger-mug', 2);
    await carts.claim(shopper, { key: 'k1', fingerprint: 'f' });
    await carts.add(shopper, 'badger-tee', 1);
    const keys = await keysOf();
    expect(keys).toHaveLength(5); // cart, claim, lease, idempotency record, the shopper's index of records
    const tags = new Set(keys.map((key) => key.match(/\{([^}]+)\}/)?.[1]));
    expect(tags.size).toBe(1);
    for (const key of keys) expect(await inspect.pttl(key)).toBeGreaterThan(0);
  });
});

describe('idempotency records', () => {
  it('marks a key in progress, then replays the stored answer', async () => {
    const carts = cache();
    const { shopper, claimId } = await shopperWithClaim(carts, { key: 'key-1', fingerprint: 'body-a' });
    await expect(carts.claim(shopper, { key: 'key-1', fingerprint: 'body-a' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_IN_PROGRESS',
      status: 409,
    });
    await expect(carts.claim(shopper, { key: 'key-1', fingerprint: 'body-b' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      status: 422,
    });
    await carts.settle(shopper, {
      claimId,
      outcome: 'placed',
      idempotency: { key: 'key-1', fingerprint: 'body-a', response: { status: 200, body: '{"ok":true}' } },
    });
    expect(await carts.claim(shopper, { key: 'key-1', fingerprint: 'body-a' })).toEqual({
      kind: 'replay',
      response: { status: 200, body: '{"ok":true}' },
    });
    const [record] = await keysOf(`${prefix}idem:*`);
    expect(record).not.toContain('key-1');
    const ttl = await inspect.pttl(record);
    expect(ttl).toBeGreaterThan(23 * 3600 * 1000);
    expect(ttl).toBeLessThanOrEqual(24 * 3600 * 1000);
  });

  it('frees the key when the checkout settles without an answer to keep', async () => {
    const carts = cache();
    const { shopper, claimId } = await shopperWithClaim(carts, { key: 'key-2', fingerprint: 'f' });
    await carts.settle(shopper, {
      claimId,
      outcome: 'put-back',
      idempotency: { key: 'key-2', fingerprint: 'f' },
    });
    expect(await keysOf(`${prefix}idem:*`)).toEqual([]);
    expect(await carts.claim(shopper, { key: 'key-2', fingerprint: 'f' })).toMatchObject({ kind: 'claimed' });
  });

  it('scopes keys per shopper', async () => {
    const carts = cache();
    const [alice, bob] = [freshShopper(), freshShopper()];
    await carts.add(alice, 'badger-mug', 1);
    await carts.claim(alice, { key: 'shared-key', fingerprint: 'f' });
    expect(await carts.claim(bob, { key: 'shared-key', fingerprint: 'other' })).toEqual({ kind: 'empty' });
  });
});
