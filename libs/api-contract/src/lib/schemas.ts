// The JSON that goes in and out of the storefront's public routes, as zod schemas: the services validate
// request bodies with them and type their answers from them, and the OpenAPI document is generated from
// them (openapi-document.ts), so the document cannot drift from the code.
import { z } from 'zod';
import { ITEM_ID_PATTERN } from '@storefront/catalog';

/** The schemas the document names (components.schemas), each with its name there. */
export const namedSchemas = z.registry<{ id: string }>();

export const itemId = z
  .string()
  .regex(ITEM_ID_PATTERN, 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -')
  .meta({
    description: 'An item of the catalog: 1 to 64 characters of A-Z, a-z, 0-9, _ and -.',
    examples: ['badger-mug'],
  });

// Any JSON integer: one above the line limit is 422 CART_LIMIT (from the cart), not a malformed body, so
// this is no z.int() (which stops at 2^53). The document says "integer", as the refinement does.
const bodyQuantity = (min: number) =>
  z
    .number()
    .refine(Number.isInteger, 'must be an integer')
    .refine((value) => value >= min, `must be at least ${min}`)
    .meta({ type: 'integer', minimum: min });

export const addItemBody = z
  .strictObject({
    id: itemId,
    quantity: bodyQuantity(1)
      .optional()
      .meta({ description: 'How many to add to the line; 1 when absent. Above CART_MAX_QUANTITY: 422 CART_LIMIT.' }),
  })
  .register(namedSchemas, { id: 'AddItemRequest' });

export const setItemBody = z
  .strictObject({
    quantity: bodyQuantity(0).meta({ description: "The line's new quantity; 0 removes the line." }),
  })
  .register(namedSchemas, { id: 'SetItemRequest' });

export const checkoutBody = z
  .strictObject({
    payment: z.strictObject({
      token: z
        .string()
        .min(1, 'must not be empty')
        .max(255, 'must be at most 255 characters')
        .meta({ description: 'The payment stub: "tok_declined" is declined (402), any other token is accepted.' }),
    }),
  })
  .register(namedSchemas, { id: 'CheckoutRequest' });

const cents = z.int().positive().meta({ description: 'Integer cents of `currency`.' });
const currency = z.string().meta({ description: 'ISO 4217 code.', examples: ['USD'] });

export const catalogItem = z
  .strictObject({ id: itemId, name: z.string(), price: cents, currency })
  .register(namedSchemas, { id: 'Item' });

export const sessionResponse = z
  .strictObject({
    token: z.string().meta({ description: 'Opaque; send it as `Authorization: Bearer <token>` (or the sid cookie).' }),
  })
  .register(namedSchemas, { id: 'Session' });

export const itemListResponse = z
  .strictObject({ items: z.array(catalogItem) })
  .register(namedSchemas, { id: 'ItemList' });

export const itemResponse = z.strictObject({ item: catalogItem }).register(namedSchemas, { id: 'ItemResponse' });

export const cartLine = z
  .strictObject({ id: itemId, quantity: z.int().positive() })
  .register(namedSchemas, { id: 'CartLine' });

export const cartResponse = z
  .strictObject({
    cart: z.array(cartLine).meta({ description: 'The lines of the cart, in no particular order.' }),
  })
  .register(namedSchemas, { id: 'Cart' });

export const order = z
  .strictObject({
    id: z.string(),
    items: z.array(z.strictObject({ id: itemId, quantity: z.int().positive(), unitPrice: cents })),
    total: z.int().nonnegative().meta({ description: 'Integer cents of `currency`.' }),
    currency,
  })
  .register(namedSchemas, { id: 'Order' });

export const THANKS = 'Thanks for shopping with us!';

export const checkoutResponse = z
  .strictObject({ message: z.literal(THANKS), order })
  .register(namedSchemas, { id: 'CheckoutResult' });

export const healthResponse = z.strictObject({ status: z.literal('ok') }).register(namedSchemas, { id: 'Health' });
export const readyResponse = z.strictObject({ status: z.literal('ready') }).register(namedSchemas, { id: 'Ready' });

/** Every stable error code of the contract (docs/CONTRACT.md "Errors"). */
export const ERROR_CODES = [
  'INVALID_BODY',
  'CART_EMPTY',
  'UNAUTHENTICATED',
  'PAYMENT_DECLINED',
  'ITEM_NOT_FOUND',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'REQUEST_TIMEOUT',
  'IDEMPOTENCY_IN_PROGRESS',
  'CHECKOUT_IN_PROGRESS',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'EXPECTATION_FAILED',
  'CART_LIMIT',
  'IDEMPOTENCY_KEY_REUSED',
  'RATE_LIMITED',
  'HEADERS_TOO_LARGE',
  'INTERNAL',
  'CART_UNAVAILABLE',
  'SERVICE_UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The error body, its code narrowed to `codes` (each response of the document lists its own). */
export function errorBodyOf(codes: readonly [ErrorCode, ...ErrorCode[]]) {
  return z.strictObject({
    error: z.strictObject({
      code: z.enum(codes).meta({ description: 'Stable: clients branch on it.' }),
      message: z.string().meta({ description: 'For a person to act on; it may change.' }),
    }),
  });
}

export const errorResponse = errorBodyOf(ERROR_CODES).register(namedSchemas, { id: 'Error' });

export type AddItemBody = z.infer<typeof addItemBody>;
export type SetItemBody = z.infer<typeof setItemBody>;
export type CheckoutBody = z.infer<typeof checkoutBody>;
export type CatalogItemJson = z.infer<typeof catalogItem>;
export type SessionResponse = z.infer<typeof sessionResponse>;
export type ItemListResponse = z.infer<typeof itemListResponse>;
export type ItemResponse = z.infer<typeof itemResponse>;
export type CartResponse = z.infer<typeof cartResponse>;
export type Order = z.infer<typeof order>;
export type CheckoutResponse = z.infer<typeof checkoutResponse>;
export type ErrorResponse = z.infer<typeof errorResponse>;
