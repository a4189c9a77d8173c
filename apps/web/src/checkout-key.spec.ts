import { createCheckoutKeys, fingerprintOf, type KeyStore } from './checkout-key';

function memoryStore(): KeyStore & { size(): number } {
  const values = new Map<string, string>();
  return {
    getItem: (name) => values.get(name) ?? null,
    setItem: (name, value) => void values.set(name, value),
    removeItem: (name) => void values.delete(name),
    size: () => values.size,
  };
}

const cart = [
  { id: 'badger-mug', quantity: 2 },
  { id: 'badger-tee', quantity: 1 },
];

describe('checkout keys', () => {
  it('gives the same key to a retry of the same cart and token, until the answer is final', () => {
    const keys = createCheckoutKeys(memoryStore());
    const first = keys.keyFor(fingerprintOf(cart, 'tok_visa'));
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(keys.keyFor(fingerprintOf([...cart].reverse(), 'tok_visa'))).toBe(first);
    keys.settle(first);
    expect(keys.keyFor(fingerprintOf(cart, 'tok_visa'))).not.toBe(first);
  });

  it('gives a new key when the cart or the token changed', () => {
    const keys = createCheckoutKeys(memoryStore());
    const first = keys.keyFor(fingerprintOf(cart, 'tok_visa'));
    const otherToken = keys.keyFor(fingerprintOf(cart, 'tok_mastercard'));
    expect(otherToken).not.toBe(first);
    const otherCart = keys.keyFor(fingerprintOf([{ id: 'badger-mug', quantity: 3 }], 'tok_mastercard'));
    expect(otherCart).not.toBe(otherToken);
  });

  it('keeps the key in the store, so a reload of the tab retries with it', () => {
    const store = memoryStore();
    const key = createCheckoutKeys(store).keyFor(fingerprintOf(cart, 'tok_visa'));
    expect(createCheckoutKeys(store).keyFor(fingerprintOf(cart, 'tok_visa'))).toBe(key);
  });

  it('settling an older key leaves the current attempt alone', () => {
    const store = memoryStore();
    const keys = createCheckoutKeys(store);
    const old = keys.keyFor(fingerprintOf(cart, 'tok_visa'));
    const current = keys.keyFor(fingerprintOf(cart, 'tok_other'));
    keys.settle(old);
    expect(keys.keyFor(fingerprintOf(cart, 'tok_other'))).toBe(current);
    keys.settle(current);
    expect(store.size()).toBe(0);
  });

  it('starts afresh from a store holding something unreadable', () => {
    const store = memoryStore();
    store.setItem('storefront.checkout-attempt', '{not json');
    expect(createCheckoutKeys(store).keyFor(fingerprintOf(cart, 'tok_visa'))).toMatch(/^[0-9a-f]{32}$/);
  });
});
