// The cart's errors, each with its stable code and status (docs/CONTRACT.md "Errors").
import { AppError } from '@storefront/service-kit';

export class CartLimitError extends AppError {
  constructor(message: string) {
    super('CART_LIMIT', message, 422);
    this.name = 'CartLimitError';
  }
}

export class CartEmptyError extends AppError {
  constructor() {
    super('CART_EMPTY', 'There are no items in your cart!', 400);
    this.name = 'CartEmptyError';
  }
}

export class CheckoutInProgressError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('CHECKOUT_IN_PROGRESS', 'A checkout of this cart is already running; try again shortly.', 409, {
      'Retry-After': String(retryAfterSeconds),
    });
    this.name = 'CheckoutInProgressError';
  }
}

export class IdempotencyInProgressError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running; try again shortly.', 409, {
      'Retry-After': String(retryAfterSeconds),
    });
    this.name = 'IdempotencyInProgressError';
  }
}

export class IdempotencyKeysExhaustedError extends AppError {
  constructor(maxRecords: number, retryAfterSeconds: number) {
    super(
      'RATE_LIMITED',
      `This shopper already has ${maxRecords} Idempotency-Keys in use (each is kept 24 hours); check out without ` +
        `one, or retry later.`,
      429,
      { 'Retry-After': String(retryAfterSeconds) },
    );
    this.name = 'IdempotencyKeysExhaustedError';
  }
}

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body.', 422);
    this.name = 'IdempotencyKeyReusedError';
  }
}
