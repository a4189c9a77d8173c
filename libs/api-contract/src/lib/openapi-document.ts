// The OpenAPI 3.1 document of the gateway's public routes (docs/CONTRACT.md), built from the zod schemas
// that validate the requests (schemas.ts) with zod's own z.toJSONSchema: JSON Schema 2020-12 is OpenAPI
// 3.1's schema dialect, so no translation layer sits between the code and the document.
import { z } from 'zod';
import {
  addItemBody,
  cartResponse,
  checkoutBody,
  checkoutResponse,
  errorBodyOf,
  healthResponse,
  itemListResponse,
  itemResponse,
  namedSchemas,
  readyResponse,
  sessionResponse,
  setItemBody,
  type ErrorCode,
} from './schemas';

type Json = { [key: string]: unknown };

const ref = (section: string, name: string) => ({ $ref: `#/components/${section}/${name}` });
const named = (schema: z.ZodType) => ref('schemas', namedSchemas.get(schema)?.id ?? 'unnamed');

/**
 * A schema as the document holds it. z.toJSONSchema puts a $schema on each, and on a registry's an $id that
 * is a fragment (invalid in 2020-12): the document's dialect and the schema's place in it say both.
 */
function inDocument(schema: Json): Json {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema' && key !== '$id'));
}

function jsonSchema(schema: z.ZodType): Json {
  return inDocument(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }));
}

function componentSchemas(): Record<string, Json> {
  const { schemas } = z.toJSONSchema(namedSchemas, {
    target: 'draft-2020-12',
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, inDocument(schema)]));
}

const json = (schema: Json) => ({ content: { 'application/json': { schema } } });

const headers = {
  RetryAfter: {
    description: 'Seconds to wait before trying again.',
    required: true,
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  Allow: { description: 'The methods this path takes.', required: true, schema: { type: 'string' } },
  IdempotentReplayed: {
    description: '`true` on the stored answer to an earlier request with the same Idempotency-Key.',
    schema: { const: 'true' },
  },
  SetSessionCookie: {
    description: 'The `sid` cookie with the same token: HttpOnly, SameSite=Lax, Path=/ (Secure in production).',
    required: true,
    schema: { type: 'string' },
  },
};

/** An error answer whose code is one of `codes`, with these headers. */
function errorAnswer(
  description: string,
  codes: [ErrorCode, ...ErrorCode[]],
  headerNames: (keyof typeof headers)[] = [],
) {
  return {
    description,
    ...(headerNames.length > 0 && {
      headers: Object.fromEntries(headerNames.map((name) => [headerNameOf[name], ref('headers', name)])),
    }),
    ...json(jsonSchema(errorBodyOf(codes))),
  };
}

const headerNameOf: Record<keyof typeof headers, string> = {
  RetryAfter: 'Retry-After',
  Allow: 'Allow',
  IdempotentReplayed: 'Idempotent-Replayed',
  SetSessionCookie: 'Set-Cookie',
};

const UNAVAILABLE =
  'Redis unreachable or too slow (CART_UNAVAILABLE), or a service behind the gateway down or too slow ' +
  '(SERVICE_UNAVAILABLE).';

/** Reusable answers: the errors any route may give, and those of the routes the document cannot list. */
// A function, like everything that calls z.toJSONSchema: the services import this library for its schemas,
// and only the gateway builds the document, once.
const reusableResponses = () => ({
  InvalidBody: errorAnswer('Malformed JSON, wrong types, unknown or missing fields, a bad head.', ['INVALID_BODY']),
  Unauthenticated: errorAnswer('No session, or one the gateway did not issue or that expired.', ['UNAUTHENTICATED']),
  ItemNotFound: errorAnswer('No item with this id in the catalog.', ['ITEM_NOT_FOUND']),
  NotFound: errorAnswer('Any path the document does not list.', ['NOT_FOUND']),
  MethodNotAllowed: errorAnswer('A listed path, with a method not listed.', ['METHOD_NOT_ALLOWED'], ['Allow']),
  RequestTimeout: errorAnswer('The request did not arrive whole in time.', ['REQUEST_TIMEOUT']),
  PayloadTooLarge: errorAnswer('A body over 16 KiB.', ['PAYLOAD_TOO_LARGE']),
  UnsupportedMediaType: errorAnswer('A body that is not application/json.', ['UNSUPPORTED_MEDIA_TYPE']),
  ExpectationFailed: errorAnswer('An Expect header other than 100-continue.', ['EXPECTATION_FAILED']),
  RateLimited: errorAnswer('Over RATE_LIMIT_PER_MINUTE (per session or address).', ['RATE_LIMITED'], ['RetryAfter']),
  HeadersTooLarge: errorAnswer('Request headers over 16 KiB or 100 lines.', ['HEADERS_TOO_LARGE']),
  Internal: errorAnswer('A bug: logged with the request id, never detailed here.', ['INTERNAL']),
  Unavailable: errorAnswer(UNAVAILABLE, ['CART_UNAVAILABLE', 'SERVICE_UNAVAILABLE'], ['RetryAfter']),
  CartUnavailable: errorAnswer('Redis unreachable or too slow.', ['CART_UNAVAILABLE'], ['RetryAfter']),
});

type ResponseName = keyof ReturnType<typeof reusableResponses>;
const answer = (name: ResponseName) => ref('responses', name);

// What any route may answer before it runs, or when it fails.
const everyRoute = {
  400: answer('InvalidBody'),
  408: answer('RequestTimeout'),
  413: answer('PayloadTooLarge'),
  415: answer('UnsupportedMediaType'),
  417: answer('ExpectationFailed'),
  431: answer('HeadersTooLarge'),
  500: answer('Internal'),
};
const proxied = { ...everyRoute, 503: answer('Unavailable') };
const cartRoute = { ...proxied, 401: answer('Unauthenticated'), 429: answer('RateLimited') };
const signedIn = [{ bearer: [] }, { sessionCookie: [] }];

const success = (description: string, schema: z.ZodType, extra: Json = {}) => ({
  description,
  ...extra,
  ...json(named(schema)),
});
const body = (schema: z.ZodType) => ({ required: true, ...json(named(schema)) });
const cartChange = (description: string) => success(description, cartResponse);
const replayable = { headers: { 'Idempotent-Replayed': ref('headers', 'IdempotentReplayed') } };

function paths(): Record<string, Json> {
  return {
    '/session': {
      post: {
        operationId: 'createSession',
        tags: ['session'],
        summary: 'Start a session: the token for the cart routes.',
        responses: {
          ...everyRoute,
          201: success('A new session.', sessionResponse, {
            headers: { 'Set-Cookie': ref('headers', 'SetSessionCookie') },
          }),
          429: answer('RateLimited'),
          503: answer('CartUnavailable'),
        },
      },
    },
    '/Items': {
      get: {
        operationId: 'listItems',
        tags: ['catalog'],
        summary: 'The catalog. Public: no session needed.',
        responses: { ...proxied, 200: success('Every item, with its price in integer cents.', itemListResponse) },
      },
    },
    '/Items/{id}': {
      get: {
        operationId: 'getItem',
        tags: ['catalog'],
        summary: 'One item of the catalog.',
        parameters: [ref('parameters', 'ItemId')],
        responses: { ...proxied, 200: success('The item.', itemResponse), 404: answer('ItemNotFound') },
      },
    },
    '/Cart': {
      get: {
        operationId: 'getCart',
        tags: ['cart'],
        summary: "The shopper's cart; an unknown or expired cart is empty.",
        security: signedIn,
        responses: { ...cartRoute, 200: cartChange('The cart.') },
      },
    },
    '/Cart/Item': {
      post: {
        operationId: 'addItem',
        tags: ['cart'],
        summary: 'Add to a line of the cart, or create it.',
        security: signedIn,
        requestBody: body(addItemBody),
        responses: {
          ...cartRoute,
          201: cartChange('The cart after the change.'),
          404: answer('ItemNotFound'),
          422: errorAnswer('The line or the cart would exceed its limit; the cart is unchanged.', ['CART_LIMIT']),
        },
      },
    },
    '/Cart/Item/{id}': {
      parameters: [ref('parameters', 'ItemId')],
      put: {
        operationId: 'setItemQuantity',
        tags: ['cart'],
        summary: "Set a line's quantity (creating the line if absent); 0 removes it.",
        security: signedIn,
        requestBody: body(setItemBody),
        responses: {
          ...cartRoute,
          200: cartChange('The cart after the change.'),
          404: answer('ItemNotFound'),
          422: errorAnswer('The line or the cart would exceed its limit; the cart is unchanged.', ['CART_LIMIT']),
        },
      },
      delete: {
        operationId: 'removeItem',
        tags: ['cart'],
        summary: 'Remove a line; removing an absent line of a well-formed id is not an error.',
        security: signedIn,
        responses: { ...cartRoute, 200: cartChange('The cart after the change.'), 404: answer('ItemNotFound') },
      },
    },
    '/Cart/checkout': {
      patch: {
        operationId: 'checkout',
        tags: ['checkout'],
        summary: 'Check the cart out: price it from the catalog, charge the payment, empty the cart.',
        description:
          'With an Idempotency-Key, a retry with the same key and body within 24 hours gets the first ' +
          'final answer again (2xx and 4xx), with `Idempotent-Replayed: true`.',
        security: signedIn,
        parameters: [ref('parameters', 'IdempotencyKey')],
        requestBody: body(checkoutBody),
        responses: {
          ...cartRoute,
          200: success('The order placed; the cart is now empty.', checkoutResponse, replayable),
          400: {
            ...errorAnswer('An empty cart (CART_EMPTY), or a malformed body or Idempotency-Key.', [
              'INVALID_BODY',
              'CART_EMPTY',
            ]),
            ...replayable,
          },
          402: {
            ...errorAnswer('The payment was declined; the lines are back in the cart.', ['PAYMENT_DECLINED']),
            ...replayable,
          },
          409: errorAnswer(
            'A request with this Idempotency-Key, or a checkout of this cart, is still running.',
            ['IDEMPOTENCY_IN_PROGRESS', 'CHECKOUT_IN_PROGRESS'],
            ['RetryAfter'],
          ),
          422: {
            ...errorAnswer('This Idempotency-Key was used with a different body.', ['IDEMPOTENCY_KEY_REUSED']),
            ...replayable,
          },
        },
      },
    },
    '/healthz': {
      get: {
        operationId: 'healthz',
        tags: ['operations'],
        summary: 'The process is alive.',
        responses: { ...everyRoute, 200: success('Alive.', healthResponse) },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readyz',
        tags: ['operations'],
        summary: 'The gateway can serve: its Redis answers.',
        responses: { ...everyRoute, 200: success('Ready.', readyResponse), 503: answer('CartUnavailable') },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openApiDocument',
        tags: ['operations'],
        summary: 'This document.',
        responses: { ...everyRoute, 200: { description: 'OpenAPI 3.1.', ...json({ type: 'object' }) } },
      },
    },
    '/docs': {
      get: {
        operationId: 'apiDocsPage',
        tags: ['operations'],
        summary: 'This document, rendered for a person (Swagger UI).',
        responses: {
          ...everyRoute,
          200: { description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } },
        },
      },
    },
  };
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: Json;
  paths: Record<string, Json>;
  components: Json;
  [key: string]: unknown;
}

/** The OpenAPI 3.1 document of the storefront as the gateway serves it (GET /openapi.json). */
export function buildOpenApiDocument(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Storefront',
      version: '0.1.0',
      description:
        'Badger paraphernalia and a cart shared by three services, seen through the gateway. Every error is ' +
        '`{"error": {"code", "message"}}`. Paths match case-insensitively, with or without a trailing slash. ' +
        'A path of this document with a method it does not list answers 405 METHOD_NOT_ALLOWED with an Allow ' +
        'header (components.responses.MethodNotAllowed); any other path, 404 NOT_FOUND ' +
        '(components.responses.NotFound), or 401 under /Cart without a session. Every answer carries X-Request-Id.',
    },
    tags: [
      { name: 'session', description: 'The stub for authentication.' },
      { name: 'catalog', description: 'Public.' },
      { name: 'cart', description: 'Needs a session.' },
      { name: 'checkout', description: 'Needs a session.' },
      { name: 'operations', description: 'Health and this document.' },
    ],
    paths: paths(),
    // Not an operation of its own, so OpenAPI has no place for them: the answers of a path this document
    // does not list, and of a path it lists with a method it does not (the end-to-end suite checks these too).
    'x-unlisted': {
      otherPath: {
        responses: { ...proxied, 401: answer('Unauthenticated'), 404: answer('NotFound'), 429: answer('RateLimited') },
      },
      otherMethod: {
        responses: {
          ...proxied,
          401: answer('Unauthenticated'),
          // A path whose item id is a broken %-escape (/Cart/Item/%) names no item, whatever the method.
          404: answer('ItemNotFound'),
          405: answer('MethodNotAllowed'),
          429: answer('RateLimited'),
        },
      },
    },
    components: {
      schemas: componentSchemas(),
      responses: reusableResponses(),
      headers,
      parameters: {
        ItemId: {
          name: 'id',
          in: 'path',
          required: true,
          description: 'An item id; a malformed one, or one not in the catalog, is 404 ITEM_NOT_FOUND.',
          schema: { type: 'string' },
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes a retry safe: 1 to 255 printable ASCII characters, scoped to the shopper, kept 24 hours. ' +
            'A malformed key is 400 INVALID_BODY.',
          schema: { type: 'string', pattern: '^[\\x20-\\x7e]{1,255}$' },
        },
      },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The token from POST /session.' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'sid', description: 'Set by POST /session.' },
      },
    },
  };
}
