// Counts the shopper-facing cart operations by outcome, for the metrics: ok, refused by a cart limit
// (422), Redis unavailable (503), or anything else (a replayed hand-off, a bug).
import { AppError } from '@storefront/service-kit';
import type { CartCache, CartLine, Shopper } from './cart-cache';

export type CartOperation = 'read' | 'add' | 'set' | 'remove';
export type CartOperationOutcome = 'ok' | 'limit' | 'unavailable' | 'other';
export type CartOperationObserver = (operation: CartOperation, outcome: CartOperationOutcome) => void;

function outcomeOf(err: unknown): CartOperationOutcome {
  if (!(err instanceof AppError)) return 'other';
  if (err.code === 'CART_LIMIT') return 'limit';
  if (err.code === 'CART_UNAVAILABLE') return 'unavailable';
  return 'other';
}

/** `cache` with read, add, setQuantity and remove reported to `observe` as they settle. */
export function countOperations(cache: CartCache, observe: CartOperationObserver): CartCache {
  // Written out per method: a generic wrapper would gather every call's arguments into an array.
  const settle = async (operation: CartOperation, pending: Promise<CartLine[]>) => {
    try {
      const lines = await pending;
      observe(operation, 'ok');
      return lines;
    } catch (err) {
      observe(operation, outcomeOf(err));
      throw err;
    }
  };
  return {
    ...cache,
    // The cache's methods are async: a bad argument rejects, it does not throw.
    read: (shopper: Shopper) => settle('read', cache.read(shopper)),
    add: (shopper: Shopper, id: string, quantity: number) => settle('add', cache.add(shopper, id, quantity)),
    setQuantity: (shopper: Shopper, id: string, quantity: number) =>
      settle('set', cache.setQuantity(shopper, id, quantity)),
    remove: (shopper: Shopper, id: string) => settle('remove', cache.remove(shopper, id)),
  };
}
