export {
  createCartCache,
  type CartCache,
  type CartLine,
  type IdempotencyRequest,
  type Shopper,
} from './lib/cart-cache';
export { cartServiceConfigReader, cartServiceEnv, connectCarts } from './lib/cart-config';
export {
  countOperations,
  type CartOperation,
  type CartOperationObserver,
  type CartOperationOutcome,
} from './lib/counted-operations';
export { CartEmptyError, CartLimitError, CheckoutInProgressError } from './lib/errors';
export { loadCart, requireShopper, shopperOf, spendUnusedHandoff } from './lib/middleware';
export { MAX_STORED_ANSWER_BYTES, checkStorable, type StoredResponse } from './lib/stored-answer';
