// The fast-check generators of the hostile-input suite: ids, quantities, bodies, paths and methods,
// from plausible to absurd (headers are in header-arbitraries.ts). Most are weighted so that enough
// requests succeed to keep the cart moving: the refusals are then checked against carts of many shapes.
import fc from 'fast-check';
import { listItems } from '@storefront/catalog';

/** Runs per property, and a time limit so that a slow machine shortens a run instead of failing it. */
export const RUNS = { numRuns: 80, interruptAfterTimeLimit: 20_000 };

export const CATALOG_IDS = listItems().map((item) => item.id);

// ---------------------------------------------------------------------------------------------
// Ids and quantities.

export const catalogId = fc.constantFrom(...CATALOG_IDS);
export const wellFormedId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
/** Strings that are not ids but look a lot like them, or like attacks on paths and keys. */
const nearMissId = fc.constantFrom(
  '',
  ' ',
  '.',
  '..',
  '...',
  '../badger-mug',
  'badger-mug/..',
  'badger-mug ',
  ' badger-mug',
  'BADGER-MUG',
  'badger_mug',
  'badger-mug\u0000',
  'badger-mug\n',
  'badger%2Dmug',
  '%',
  '%ZZ',
  '%2',
  '%00',
  '%C0%AF',
  '%E2%82',
  '%252E',
  'a'.repeat(64),
  'a'.repeat(65),
  'x'.repeat(5_000),
  'badger-müg',
  'badger-mug\u200b',
  '🦡',
  '\ud83e',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  '*',
  '{tag}',
  'cart:{x}',
  'null',
  'undefined',
  '-',
  '_',
);
export const anyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
/** Percent signs in every state: valid escapes, broken escapes, escaped escapes. */
const percenty = fc.stringMatching(/^(%[0-9A-Fa-fGZz]{0,2}|[a-z.~-])+$/);
const longId = fc
  .integer({ min: 65, max: 6_000 })
  .chain((n) => fc.constantFrom('a'.repeat(n), '%'.repeat(n), 'é'.repeat(n), `${'a'.repeat(n)}/x`));
export const hostileId = fc.oneof(
  { arbitrary: catalogId, weight: 3 },
  { arbitrary: wellFormedId, weight: 2 },
  { arbitrary: nearMissId, weight: 3 },
  { arbitrary: anyString, weight: 3 },
  { arbitrary: percenty, weight: 1 },
  { arbitrary: longId, weight: 1 },
);
const oddQuantity = fc.constantFrom(
  0,
  -0,
  1,
  98,
  99,
  100,
  -1,
  1e20,
  -1e20,
  1e21,
  Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2,
  1e308,
  -1e308,
  5e-324,
  0.5,
  1.5,
  1.0000001,
  98.9999999999,
);
// Weighted so that about a third are plausible integers.
export const hostileQuantity = fc.oneof(
  { arbitrary: fc.integer({ min: -3, max: 110 }), weight: 6 },
  { arbitrary: oddQuantity, weight: 3 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
  { arbitrary: anyString, weight: 1 },
  { arbitrary: fc.constantFrom('1', '2', ' 1', '1e1', '0x10'), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }), weight: 1 },
  { arbitrary: fc.object({ maxDepth: 1 }), weight: 1 },
);

// ---------------------------------------------------------------------------------------------
// Bodies.

/** Any JSON value, nested or not: what arrives when a client sends whatever it likes. */
export const anyJson = fc.jsonValue({ maxDepth: 3 });
const extraKeys = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'ID', 'Quantity', 'price', 'id ')),
  anyJson,
  { maxKeys: 2 },
);
/** `body` with a few more keys, which never replace its own. */
const withExtraKeys = <T extends object>(body: fc.Arbitrary<T>) =>
  fc.tuple(body, extraKeys).map(([own, extra]) => ({ ...extra, ...own }));

/** Bodies for POST /Cart/Item: mostly the right shape with hostile values, sometimes anything. */
export const addBody = fc.oneof(
  { arbitrary: fc.record({ id: hostileId, quantity: hostileQuantity }, { requiredKeys: [] }), weight: 5 },
  { arbitrary: fc.record({ id: catalogId, quantity: hostileQuantity }, { requiredKeys: ['id'] }), weight: 6 },
  { arbitrary: withExtraKeys(fc.record({ id: hostileId, quantity: hostileQuantity })), weight: 2 },
  { arbitrary: anyJson, weight: 3 },
);
/** Bodies for PUT /Cart/Item/:id. */
export const setBody = fc.oneof(
  { arbitrary: fc.record({ quantity: hostileQuantity }), weight: 6 },
  { arbitrary: fc.record({ quantity: hostileQuantity }, { requiredKeys: [] }), weight: 1 },
  { arbitrary: withExtraKeys(fc.record({ quantity: hostileQuantity })), weight: 1 },
  { arbitrary: anyJson, weight: 2 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);
/** Raw bodies for POST /Cart/Item, as bytes: broken JSON, near-JSON, JSON a parser may choke on. */
export const rawBody = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    '{',
    '}',
    '{"id":',
    '{"id":"badger-mug"',
    '{"id":"badger-mug"}}',
    '[',
    '[]',
    '{}',
    'null',
    'true',
    '1',
    '"badger-mug"',
    '{"id":"badger-mug",}',
    "{'id':'badger-mug'}",
    '{"id":"badger-mug","quantity":01}',
    '{"id":"badger-mug","quantity":1e}',
    '{"id":"badger-mug","quantity":NaN}',
    '{"id":"badger-mug","quantity":Infinity}',
    '{"id":"badger-mug","quantity":-}',
    '\ufeff{"id":"badger-mug"}',
    '{"id":"badger-mug"}\u0000',
    '{"id":"\\ud800"}',
    '{"id":"badger-mug","__proto__":{"quantity":5}}',
    `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
    `{"id":"badger-mug","quantity":${'9'.repeat(400)}}`,
  ),
);
const paymentToken = fc.oneof(
  fc.constant('tok_declined'),
  fc.constantFrom('tok_visa', '', ' ', 'tok_declined ', 'TOK_DECLINED', 'x'.repeat(255), 'x'.repeat(256)),
  anyString,
);
const payment = fc.oneof(
  { arbitrary: fc.record({ token: paymentToken }), weight: 4 },
  { arbitrary: fc.record({ token: anyJson }, { requiredKeys: [] }), weight: 2 },
  { arbitrary: withExtraKeys(fc.record({ token: fc.constantFrom('tok_declined', 'tok_visa') })), weight: 1 },
  { arbitrary: anyJson, weight: 1 },
);
/** Bodies for PATCH /Cart/checkout. */
export const checkoutBody = fc.oneof(
  { arbitrary: fc.record({ payment }), weight: 6 },
  { arbitrary: withExtraKeys(fc.record({ payment })), weight: 1 },
  { arbitrary: anyJson, weight: 2 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);

// ---------------------------------------------------------------------------------------------
// Paths and methods.

// Characters Node lets into a request path as they are, "/" excepted (it would add segments).
const rawChar = fc.oneof(
  { arbitrary: fc.constantFrom(...'%%%%..~-_!$&\'()*+,;=:@?#[]{}|\\^`"<>'.split('')), weight: 4 },
  { arbitrary: fc.constantFrom(...'abcXYZ019'.split('')), weight: 4 },
  { arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code)), weight: 1 },
);
/** A path segment sent unencoded: broken %-escapes, dots, reserved characters. */
export const rawSegment = fc.oneof(
  fc.string({ unit: rawChar, minLength: 1, maxLength: 24 }),
  fc.constantFrom(
    '%ZZ',
    '%',
    '%2',
    '%%',
    '%C0%AF',
    '%ED%A0%80',
    '%FF',
    '%2F',
    '%5C',
    '..',
    '.',
    '%2e%2e',
    '..%2F..%2Fsession',
    'badger-mug%00',
    'badger-mug;x=1',
    'badger-mug?x',
    'badger-mug#x',
  ),
);

const word = fc.constantFrom(
  'Cart',
  'cart',
  'CART',
  'Item',
  'item',
  'Items',
  'ITEMS',
  'checkout',
  'Checkout',
  'session',
  'healthz',
  'readyz',
  ...CATALOG_IDS,
);
const oddSegment = fc.constantFrom(
  '',
  '.',
  '..',
  '%2e%2e',
  '%2E',
  '%ZZ',
  '%',
  '%00',
  '%2F',
  ';',
  '~',
  '*',
  '@',
  ':',
  'a%20b',
  '\u00e9',
  '%C3%A9',
  '%F0%9F%A6%A1',
);
const segment = fc.oneof(
  { arbitrary: word, weight: 4 },
  { arbitrary: oddSegment, weight: 2 },
  { arbitrary: fc.webSegment(), weight: 2 },
);
const query = fc.option(fc.webQueryParameters(), { nil: undefined });
// The storefront's own routes, in any case, with or without a trailing slash and a query string:
// without them, nearly every generated path would be a plain 404.
const ownRoute = fc.oneof(
  fc.constantFrom('/Cart', '/Cart/Item', '/Cart/checkout', '/Items', '/session', '/healthz', '/readyz'),
  fc
    .tuple(fc.constantFrom('/Cart/Item/', '/Items/'), fc.oneof(catalogId, wellFormedId, oddSegment))
    .map(([base, id]) => `${base}${id}`),
);
const knownPath = fc
  .tuple(
    ownRoute.chain((r) => fc.mixedCase(fc.constant(r))),
    fc.boolean(),
    query,
  )
  .map(([r, slash, q]) => `${r}${slash ? '/' : ''}${q ? `?${q}` : ''}`);
const madePath = fc
  .tuple(fc.array(segment, { minLength: 0, maxLength: 5 }), fc.boolean(), query)
  .map(([segments, slash, q]) => `/${segments.join('/')}${slash ? '/' : ''}${q ? `?${q}` : ''}`);
const oddPath = fc.constantFrom(
  '*',
  '//Cart',
  '/Cart//Item',
  'http://evil.example/Cart',
  'http://127.0.0.1/Items',
  '/Cart/Item/badger-mug/extra',
  '/Cart/checkout/x',
  '/Cart/Item?id=badger-mug',
  '/Items/../Cart',
  '/%2e%2e/Cart',
  '/\\Cart',
);
/** Any request target, mostly near the storefront's own routes. */
export const anyPath = fc.oneof(
  { arbitrary: knownPath, weight: 8 },
  { arbitrary: madePath, weight: 4 },
  { arbitrary: oddPath, weight: 1 },
);
export const anyMethod = fc.oneof(
  { arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'), weight: 3 },
  // Methods Node's parser knows but no route here serves, and one it does not know at all.
  { arbitrary: fc.constantFrom('OPTIONS', 'TRACE', 'PURGE', 'PROPFIND', 'SEARCH', 'MKCOL', 'LINK', 'FOO'), weight: 1 },
);
/** A JSON body or none, for any path and method. */
export const anyBody = fc.option(
  fc.oneof(anyJson, fc.record({ id: hostileId, quantity: hostileQuantity }, { requiredKeys: [] })),
  { nil: undefined, freq: 2 },
);
