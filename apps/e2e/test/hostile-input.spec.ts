// Hostile input, end to end: property-based tests (fast-check) that throw generated bodies, ids,
// quantities, headers, paths and methods at every route through the gateway, on a real Redis.
// Whatever arrives, the storefront must never answer 5xx, every error must be the contract's JSON
// shape without a stack trace, and a 4xx must leave the shopper's cart as it was: both as the
// shopper reads it back (GET /Cart) and as it lies in Redis.
//
// Requests go out through node:http rather than fetch: fetch normalises paths ("/a/../b"), refuses
// some methods and rewrites header values, and the point here is to send exactly what we generated.
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { connectTestRedis, freshShopper, gatewayIdentity, testRedisUrl } from '@storefront/test-kit';
import { ITEM_ID_PATTERN, findItem, listItems } from '@storefront/catalog';
import { newSession, startStorefront, type Storefront } from './storefront-harness';

// The contract's limits (docs/CONTRACT.md): defaults, which the harness does not change.
const MAX_BODY_BYTES = 16 * 1024;
const MAX_QUANTITY = 99;
// The gateway's limit on the request line and headers together; past it: 431 HEADERS_TOO_LARGE.
const MAX_HEADER_BYTES = 16 * 1024;

const CATALOG_IDS = listItems().map((item) => item.id);
const SEED: ReadonlyArray<[string, number]> = [
  ['badger-mug', 2],
  ['badger-tee', 3],
];

let store: Storefront;
let inspect: Redis;
let agent: http.Agent;
let port: number;

beforeAll(async () => {
  store = await startStorefront({ redisUrl: testRedisUrl() });
  inspect = connectTestRedis();
  port = Number(new URL(store.gatewayUrl).port);
  // Keep-alive, so a few hundred requests per property do not each pay for a new connection.
  agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
});
afterAll(async () => {
  agent.destroy();
  await store.stop();
  await inspect.quit();
});

// ---------------------------------------------------------------------------------------------
// Sending exactly what was generated, and reading the answer.

interface Sent {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  body?: string;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  ms: number;
}

/** A hang is a failure too: no answer within this long rejects. */
const ANSWER_WITHIN_MS = 5_000;

function send(sent: Sent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { ...sent.headers };
    if (sent.body !== undefined) headers['content-length'] = Buffer.byteLength(sent.body);
    const started = Date.now();
    const req = http.request({ host: '127.0.0.1', port, method: sent.method, path: sent.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => req.destroy(err));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${account(sent)}: ${err.message}`));
    });
    req.end(sent.body);
  });
}

/** Session tokens this file was issued: shown as <token> in failure messages, not in full. */
const issuedTokens = new Set<string>();

/**
 * A one-line account of a request and its answer, for failure messages (fast-check prints them).
 * Path and values are JSON-quoted so that invisible characters (C1 controls, say) show.
 */
function account(sent: Sent, reply?: Reply): string {
  const mask = (text: string) => [...issuedTokens].reduce((out, token) => out.split(token).join('<token>'), text);
  const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…(${text.length} chars)` : text);
  const quote = (value: unknown) =>
    JSON.stringify(value).replace(/[\x7f-\x9f\u00a0\u00ad\u200b-\u200f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const body = sent.body === undefined ? '' : ` body=${quote(cut(sent.body))}`;
  const request = mask(`${sent.method} ${quote(cut(sent.path))} headers=${quote(sent.headers)}${body}`);
  if (!reply) return request;
  return `${request}\n  -> ${reply.status} ${quote(reply.headers['content-type'] ?? '')} ${mask(reply.text.slice(0, 500))}`;
}

function bearer(token: string): OutgoingHttpHeaders {
  return { authorization: `Bearer ${token}` };
}

function jsonRequest(method: string, path: string, token: string | undefined, body: unknown): Sent {
  const headers: OutgoingHttpHeaders = token ? bearer(token) : {};
  if (body === undefined) return { method, path, headers };
  return { method, path, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

class Violation extends Error {}

function insist(condition: unknown, why: string, sent: Sent, reply?: Reply): asserts condition {
  if (!condition) throw new Violation(`${why}\n  ${account(sent, reply)}`);
}

// Signs of a stack trace or of the server's files. Error messages may echo a client's id or path,
// so what the client sent is removed from the message before looking.
const STACK_SIGNS = [/^\s+at /m, /\bat \S+ \(.*:\d+:\d+\)/, /\.ts:/, /\.js:\d/, /node_modules/];

function withoutEchoes(text: string, echoes: readonly string[]): string {
  let left = text;
  for (const echo of echoes) if (echo.length > 0) left = left.split(echo).join('');
  return left;
}

/**
 * The checks that hold for every answer: never 5xx, and every error is
 * {"error": {"code": string, "message": string}} in JSON, nothing more, and no stack trace.
 */
function judge(sent: Sent, reply: Reply, echoes: readonly string[] = []): void {
  insist(reply.status < 500, `a ${reply.status} answer`, sent, reply);
  if (reply.status < 400 || sent.method === 'HEAD') return;
  insist(/^application\/json\b/.test(String(reply.headers['content-type'] ?? '')), 'an error that is not JSON', sent, reply);
  let body: unknown;
  try {
    body = JSON.parse(reply.text);
  } catch {
    insist(false, 'an error body that does not parse as JSON', sent, reply);
  }
  const error = (body as { error?: unknown })?.error as Record<string, unknown> | undefined;
  insist(
    body !== null && typeof body === 'object' && Object.keys(body).join() === 'error' &&
      error !== null && typeof error === 'object' && Object.keys(error).sort().join() === 'code,message' &&
      typeof error.code === 'string' && /^[A-Z_]+$/.test(error.code) && typeof error.message === 'string',
    'an error not in the shape {"error": {"code", "message"}}',
    sent,
    reply,
  );
  // Messages echo ids cut to 64 characters; the shape check above already rules out other fields.
  const rest = withoutEchoes(error.message as string, [...echoes, ...echoes.map((echo) => echo.slice(0, 64))]);
  for (const sign of STACK_SIGNS) insist(!sign.test(rest) && !sign.test(error.code as string), `a stack trace or file path in an error (${sign})`, sent, reply);
}

function codeOf(reply: Reply): string | undefined {
  try {
    return (JSON.parse(reply.text) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// A shopper with a cart, and what that cart looks like over HTTP and in Redis.

interface Shopper {
  token: string;
  /** The shopper's cart key in Redis (its name holds an HMAC, so it is found, not computed). */
  cartKey: string;
  /** What the cart should hold, kept up to date from the contract as requests succeed. */
  model: Map<string, number>;
}

interface CartState {
  /** The cart as GET /Cart answers it, sorted by id. */
  lines: Array<[string, number]>;
  /** HGETALL of the cart key. */
  hash: Record<string, string>;
  /** Every cart and checkout-claim key of this storefront: a 4xx must not create or drop one. */
  cartKeys: string[];
}

async function cartKeysOfStore(): Promise<string[]> {
  const [carts, claims] = await Promise.all([inspect.keys(`${store.prefix}cart:*`), inspect.keys(`${store.prefix}claim*`)]);
  return [...carts, ...claims].sort();
}

function sortedLines(entries: Iterable<[string, number]>): Array<[string, number]> {
  return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

async function readCart(token: string): Promise<Array<[string, number]>> {
  const sent: Sent = { method: 'GET', path: '/Cart', headers: bearer(token) };
  const reply = await send(sent);
  insist(reply.status === 200, 'GET /Cart with a valid token did not answer 200', sent, reply);
  const cart = (JSON.parse(reply.text) as { cart: Array<{ id: string; quantity: number }> }).cart;
  return sortedLines(cart.map((line) => [line.id, line.quantity]));
}

async function cartState(shopper: Shopper): Promise<CartState> {
  const [lines, hash, cartKeys] = await Promise.all([readCart(shopper.token), inspect.hgetall(shopper.cartKey), cartKeysOfStore()]);
  if (lines.length > 0) {
    // Every key the storefront writes expires (CONTRACT.md); a hostile request must not change that.
    const ttl = await inspect.pttl(shopper.cartKey);
    if (ttl <= 0) throw new Violation(`the cart key has no expiry (PTTL ${ttl})`);
  }
  return { lines, hash, cartKeys };
}

function expectModel(shopper: Shopper, state: CartState, context: string): void {
  const expected = sortedLines(shopper.model.entries());
  if (JSON.stringify(state.lines) !== JSON.stringify(expected)) {
    throw new Violation(`${context}: GET /Cart shows ${JSON.stringify(state.lines)}, expected ${JSON.stringify(expected)}`);
  }
}

function expectUnchanged(before: CartState, after: CartState, sent: Sent, reply: Reply): void {
  insist(JSON.stringify(after.lines) === JSON.stringify(before.lines), `the cart read back changed after a ${reply.status}: ${JSON.stringify(before.lines)} -> ${JSON.stringify(after.lines)}`, sent, reply);
  insist(JSON.stringify(after.hash) === JSON.stringify(before.hash), `the cart in Redis changed after a ${reply.status}: ${JSON.stringify(before.hash)} -> ${JSON.stringify(after.hash)}`, sent, reply);
  insist(after.cartKeys.join('\n') === before.cartKeys.join('\n'), `cart or claim keys in Redis changed after a ${reply.status}: ${before.cartKeys.length} -> ${after.cartKeys.length} keys`, sent, reply);
}

async function setLine(token: string, id: string, quantity: number): Promise<void> {
  const sent = jsonRequest('PUT', `/Cart/Item/${id}`, token, { quantity });
  const reply = await send(sent);
  insist(reply.status === 200, 'seeding a cart line failed', sent, reply);
}

/** A new session whose cart holds the seed lines; its cart key is the one key that appeared. */
async function newShopper(): Promise<Shopper> {
  const token = await newSession(store.gatewayUrl);
  issuedTokens.add(token);
  const before = new Set(await inspect.keys(`${store.prefix}cart:*`));
  for (const [id, quantity] of SEED) await setLine(token, id, quantity);
  const appeared = (await inspect.keys(`${store.prefix}cart:*`)).filter((key) => !before.has(key));
  if (appeared.length !== 1) throw new Error(`expected one new cart key after seeding a cart, found ${JSON.stringify(appeared)}`);
  const cartKey = appeared[0];
  // The key holds an HMAC of the shopper, never the token (CONTRACT.md "Identity").
  expect(cartKey).not.toContain(token);
  return { token, cartKey, model: new Map(SEED) };
}

/** Puts the seed lines back when earlier runs removed them or pushed them near the line limit. */
async function reseed(shopper: Shopper): Promise<void> {
  for (const [id, quantity] of SEED) {
    const current = shopper.model.get(id);
    if (current === undefined || current > MAX_QUANTITY - 10) {
      await setLine(shopper.token, id, quantity);
      shopper.model.set(id, quantity);
    }
  }
}

interface Expectation {
  echoes?: readonly string[];
  /** The status (and code) the contract asks for, when the test can tell. */
  expected?: { status: number | readonly number[]; code?: string };
  /** A 2xx's effect on the model; undefined: adopt whatever the cart now holds. */
  applied?: (model: Map<string, number>) => void;
}

/**
 * The frame of most properties: the cart as it was, the request, the universal checks, the cart
 * after. A 4xx must leave it exactly as it was; a 2xx is checked against `applied` (the change the
 * contract says it makes), or, when the test cannot know, adopted as the new expectation. When the
 * expectation depends on the cart (a line limit), pass a function of the cart as it is just before.
 */
async function hostile(
  shopper: Shopper,
  sent: Sent,
  plan: Expectation | ((cart: ReadonlyMap<string, number>) => Expectation) = {},
): Promise<Reply> {
  await reseed(shopper);
  const before = await cartState(shopper);
  // Start from the cart as it is: when fast-check shrinks after a failed run, the model of that run
  // may be stale, and the change a request makes is judged from `before` anyway.
  shopper.model = new Map(before.lines);
  const expectation = typeof plan === 'function' ? plan(shopper.model) : plan;
  const reply = await send(sent);
  judge(sent, reply, expectation.echoes);
  const { expected } = expectation;
  if (expected) {
    const statuses: readonly number[] = typeof expected.status === 'number' ? [expected.status] : expected.status;
    insist(statuses.includes(reply.status), `expected ${statuses.join(' or ')}${expected.code ? ` ${expected.code}` : ''}`, sent, reply);
    if (expected.code && reply.status >= 400) insist(codeOf(reply) === expected.code, `expected code ${expected.code}`, sent, reply);
  }
  const after = await cartState(shopper);
  if (reply.status >= 400) {
    expectUnchanged(before, after, sent, reply);
  } else if (expectation.applied) {
    expectation.applied(shopper.model);
    expectModel(shopper, after, `after ${account(sent, reply)}`);
  } else {
    shopper.model = new Map(after.lines);
  }
  return reply;
}

// ---------------------------------------------------------------------------------------------
// What the contract says a request should get, for the routes where the test can tell.

type Outcome = { status: number; code?: string; applied?: (model: Map<string, number>) => void };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const isQuantity = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min;
const hasOnlyKeys = (value: Record<string, unknown>, allowed: string[]) => Object.keys(value).every((key) => allowed.includes(key));

/** Checks every request makes of a body before any route runs: size, then JSON (objects and arrays only). */
function bodyGate(wire: string | undefined): Outcome | undefined {
  if (wire === undefined) return undefined;
  if (Buffer.byteLength(wire) > MAX_BODY_BYTES) return { status: 413, code: 'PAYLOAD_TOO_LARGE' };
  if (!/^\s*[[{]/.test(wire)) return { status: 400, code: 'INVALID_BODY' };
  return undefined;
}

/** POST /Cart/Item: {"id": string, "quantity"?: int >= 1}; unknown item 404; over the line limit 422. */
function addOutcome(wire: string | undefined, model: ReadonlyMap<string, number>): Outcome {
  const gate = bodyGate(wire);
  if (gate) return gate;
  const body: unknown = wire === undefined ? undefined : JSON.parse(wire);
  if (!isPlainObject(body) || !hasOnlyKeys(body, ['id', 'quantity'])) return { status: 400, code: 'INVALID_BODY' };
  const { id, quantity } = body;
  if (typeof id !== 'string' || !ITEM_ID_PATTERN.test(id)) return { status: 400, code: 'INVALID_BODY' };
  if ('quantity' in body && !isQuantity(quantity, 1)) return { status: 400, code: 'INVALID_BODY' };
  if (!findItem(id)) return { status: 404, code: 'ITEM_NOT_FOUND' };
  const adding = (quantity as number | undefined) ?? 1;
  if ((model.get(id) ?? 0) + adding > MAX_QUANTITY) return { status: 422, code: 'CART_LIMIT' };
  return { status: 201, applied: (m) => m.set(id, (m.get(id) ?? 0) + adding) };
}

/** PUT /Cart/Item/:id: the id first (404), then {"quantity": int >= 0}; 0 removes the line. */
function setOutcome(id: string, wire: string | undefined): Outcome {
  const gate = bodyGate(wire);
  if (gate) return gate;
  // An empty id leaves "/Cart/Item/", which is POST /Cart/Item's path (a trailing slash is allowed).
  if (id === '') return { status: 405, code: 'METHOD_NOT_ALLOWED' };
  if (!ITEM_ID_PATTERN.test(id) || !findItem(id)) return { status: 404, code: 'ITEM_NOT_FOUND' };
  const body: unknown = wire === undefined ? undefined : JSON.parse(wire);
  if (!isPlainObject(body) || !hasOnlyKeys(body, ['quantity']) || !isQuantity(body.quantity, 0)) return { status: 400, code: 'INVALID_BODY' };
  const quantity = body.quantity;
  if (quantity > MAX_QUANTITY) return { status: 422, code: 'CART_LIMIT' };
  return { status: 200, applied: (m) => (quantity === 0 ? m.delete(id) : m.set(id, quantity)) };
}

/** DELETE /Cart/Item/:id: any well-formed id is 200 (absent or not in the catalog included); else 404. */
function deleteOutcome(id: string): Outcome {
  if (id === '') return { status: 405, code: 'METHOD_NOT_ALLOWED' };
  if (!ITEM_ID_PATTERN.test(id)) return { status: 404, code: 'ITEM_NOT_FOUND' };
  return { status: 200, applied: (m) => m.delete(id) };
}

/**
 * A path segment carrying `raw` exactly: percent-encoded, dots too (so "." and ".." stay an id). A
 * lone surrogate has no UTF-8 form; it goes out as its 3 raw bytes (WTF-8), which no server can
 * decode: one more hostile input.
 */
function encodeSegment(raw: string): string {
  let out = '';
  // Iterating a string yields code points: a valid surrogate pair comes as one, a lone half alone.
  for (const char of raw) {
    try {
      out += encodeURIComponent(char);
    } catch {
      const code = char.charCodeAt(0);
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    }
  }
  return out.replace(/\./g, '%2E');
}

/**
 * A path near the gateway's limit on the request line and headers (16 KiB) may be answered 431
 * instead. (The services take more, so the headers the gateway adds never push a request over.)
 */
function tooLongForHeaders(path: string): boolean {
  return path.length > MAX_HEADER_BYTES - 400;
}

// ---------------------------------------------------------------------------------------------
// Generators.

const RUNS = { numRuns: 80, interruptAfterTimeLimit: 20_000 };

const catalogId = fc.constantFrom(...CATALOG_IDS);
const wellFormedId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
/** Strings that are not ids but look a lot like them, or like attacks on paths and keys. */
const nearMissId = fc.constantFrom(
  '', ' ', '.', '..', '...', '../badger-mug', 'badger-mug/..', 'badger-mug ', ' badger-mug', 'BADGER-MUG', 'badger_mug',
  'badger-mug\u0000', 'badger-mug\n', 'badger%2Dmug', '%', '%ZZ', '%2', '%00', '%C0%AF', '%E2%82', '%252E', 'a'.repeat(64),
  'a'.repeat(65), 'x'.repeat(5_000), 'badger-müg', 'badger-mug\u200b', '🦡', '\ud83e', 'constructor', '__proto__',
  'toString', 'hasOwnProperty', '*', '{tag}', 'cart:{x}', 'null', 'undefined', '-', '_',
);
const anyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
/** Percent signs in every state: valid escapes, broken escapes, escaped escapes. */
const percenty = fc.stringMatching(/^(%[0-9A-Fa-fGZz]{0,2}|[a-z.~-])+$/);
const longId = fc.integer({ min: 65, max: 6_000 }).chain((n) => fc.constantFrom('a'.repeat(n), '%'.repeat(n), 'é'.repeat(n), `${'a'.repeat(n)}/x`));
const hostileId = fc.oneof(
  { arbitrary: catalogId, weight: 3 },
  { arbitrary: wellFormedId, weight: 2 },
  { arbitrary: nearMissId, weight: 3 },
  { arbitrary: anyString, weight: 3 },
  { arbitrary: percenty, weight: 1 },
  { arbitrary: longId, weight: 1 },
);
// Weighted so that about a third are plausible integers: the successes keep the cart moving, so the
// refusals are checked against carts of many shapes.
const hostileQuantity = fc.oneof(
  { arbitrary: fc.integer({ min: -3, max: 110 }), weight: 6 },
  { arbitrary: fc.constantFrom(0, -0, 1, 98, 99, 100, -1, 1e20, -1e20, 1e21, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e308, -1e308, 5e-324, 0.5, 1.5, 1.0000001, 98.9999999999), weight: 3 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
  { arbitrary: anyString, weight: 1 },
  { arbitrary: fc.constantFrom('1', '2', ' 1', '1e1', '0x10'), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }), weight: 1 },
  { arbitrary: fc.object({ maxDepth: 1 }), weight: 1 },
);
/** Any JSON value, nested or not: what arrives when a client sends whatever it likes. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
const extraKeys = fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'ID', 'Quantity', 'price', 'id ')), anyJson, { maxKeys: 2 });

/** Bodies for POST /Cart/Item: mostly the right shape with hostile values, sometimes anything. */
const addBody = fc.oneof(
  { arbitrary: fc.record({ id: hostileId, quantity: hostileQuantity }, { requiredKeys: [] }), weight: 5 },
  { arbitrary: fc.record({ id: catalogId, quantity: hostileQuantity }, { requiredKeys: ['id'] }), weight: 6 },
  { arbitrary: fc.tuple(fc.record({ id: hostileId, quantity: hostileQuantity }), extraKeys).map(([body, extra]) => ({ ...extra, ...body })), weight: 2 },
  { arbitrary: anyJson, weight: 3 },
);
const setBody = fc.oneof(
  { arbitrary: fc.record({ quantity: hostileQuantity }), weight: 6 },
  { arbitrary: fc.record({ quantity: hostileQuantity }, { requiredKeys: [] }), weight: 1 },
  { arbitrary: fc.tuple(fc.record({ quantity: hostileQuantity }), extraKeys).map(([body, extra]) => ({ ...extra, ...body })), weight: 1 },
  { arbitrary: anyJson, weight: 2 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);

/** Header values Node's http client accepts: tab, visible ASCII, space and obs-text (0x80-0xff). */
const headerChar = fc.oneof(
  { arbitrary: fc.integer({ min: 0x20, max: 0x7e }), weight: 8 },
  { arbitrary: fc.integer({ min: 0x80, max: 0xff }), weight: 1 },
  { arbitrary: fc.constant(0x09), weight: 1 },
).map((code) => String.fromCharCode(code));
const headerValue = (maxLength = 40) => fc.string({ unit: headerChar, maxLength }).filter((value) => {
  try {
    http.validateHeaderValue('x-check', value);
    return true;
  } catch {
    return false;
  }
});

// ---------------------------------------------------------------------------------------------
// The properties.

describe('POST /Cart/Item with hostile bodies', () => {
  it('answers as the contract says, never 5xx, and a refused add leaves the cart alone', async () => {
    const shopper = await newShopper();
    await fc.assert(
      fc.asyncProperty(addBody, async (body) => {
        const sent = jsonRequest('POST', '/Cart/Item', shopper.token, body);
        const id = isPlainObject(body) && typeof body.id === 'string' ? body.id : '';
        await hostile(shopper, sent, (cart) => {
          const outcome = addOutcome(sent.body, cart);
          return { echoes: [id], expected: outcome, applied: outcome.applied };
        });
      }),
      RUNS,
    );
  });

  it('refuses bodies that are not JSON objects, whatever their bytes, and keeps the cart', async () => {
    const shopper = await newShopper();
    const rawBody = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('', '{', '}', '{"id":', '{"id":"badger-mug"', '{"id":"badger-mug"}}', '[', '[]', '{}', 'null', 'true', '1', '"badger-mug"',
        '{"id":"badger-mug",}', "{'id':'badger-mug'}", '{"id":"badger-mug","quantity":01}', '{"id":"badger-mug","quantity":1e}',
        '{"id":"badger-mug","quantity":NaN}', '{"id":"badger-mug","quantity":Infinity}', '{"id":"badger-mug","quantity":-}',
        '\ufeff{"id":"badger-mug"}', '{"id":"badger-mug"}\u0000', '{"id":"\\ud800"}', '{"id":"badger-mug","__proto__":{"quantity":5}}',
        `${'['.repeat(5_000)}${']'.repeat(5_000)}`, `{"id":"badger-mug","quantity":${'9'.repeat(400)}}`),
    );
    await fc.assert(
      fc.asyncProperty(rawBody, async (text) => {
        const sent: Sent = { method: 'POST', path: '/Cart/Item', headers: { ...bearer(shopper.token), 'content-type': 'application/json' }, body: text };
        // A body that is valid JSON is judged like any other add; the rest is 400 INVALID_BODY. A
        // leading byte order mark is ignored (RFC 8259 lets a parser do so, and body-parser does).
        const json = text.replace(/^\ufeff/, '');
        let parsed = true;
        try {
          JSON.parse(json);
        } catch {
          parsed = false;
        }
        await hostile(shopper, sent, (cart) => {
          const outcome: Outcome = text === '' || !parsed ? { status: 400, code: 'INVALID_BODY' } : addOutcome(json, cart);
          return { expected: outcome, applied: outcome.applied };
        });
      }),
      RUNS,
    );
  });
});

describe('cart lines addressed by hostile path segments', () => {
  it('PUT /Cart/Item/:id: 404 for anything not a catalog id, the contract for the rest, never 5xx', async () => {
    const shopper = await newShopper();
    await fc.assert(
      fc.asyncProperty(fc.oneof({ arbitrary: catalogId, weight: 1 }, { arbitrary: hostileId, weight: 2 }), setBody, async (id, body) => {
        const sent = jsonRequest('PUT', `/Cart/Item/${encodeSegment(id)}`, shopper.token, body);
        const outcome = setOutcome(id, sent.body);
        const expected = tooLongForHeaders(sent.path) ? { status: [outcome.status, 431] } : outcome;
        await hostile(shopper, sent, { echoes: [id], expected, applied: outcome.applied });
      }),
      RUNS,
    );
  });

  it('DELETE /Cart/Item/:id: 200 for any well-formed id, 404 for the rest, never 5xx', async () => {
    const shopper = await newShopper();
    await fc.assert(
      fc.asyncProperty(hostileId, async (id) => {
        const sent: Sent = { method: 'DELETE', path: `/Cart/Item/${encodeSegment(id)}`, headers: bearer(shopper.token) };
        const outcome = deleteOutcome(id);
        const expected = tooLongForHeaders(sent.path) ? { status: [outcome.status, 431] } : outcome;
        await hostile(shopper, sent, { echoes: [id], expected, applied: outcome.applied });
      }),
      RUNS,
    );
  });

  it('raw, unencoded segments (broken %-escapes, dots, reserved characters) are 4xx and leave the cart alone', async () => {
    const shopper = await newShopper();
    // Characters Node lets into a request path as they are, "/" excepted (it would add segments).
    const rawChar = fc.oneof(
      { arbitrary: fc.constantFrom(...'%%%%..~-_!$&\'()*+,;=:@?#[]{}|\\^`"<>'.split('')), weight: 4 },
      { arbitrary: fc.constantFrom(...'abcXYZ019'.split('')), weight: 4 },
      { arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code)), weight: 1 },
    );
    const rawSegment = fc.oneof(
      fc.string({ unit: rawChar, minLength: 1, maxLength: 24 }),
      fc.constantFrom('%ZZ', '%', '%2', '%%', '%C0%AF', '%ED%A0%80', '%FF', '%2F', '%5C', '..', '.', '%2e%2e', '..%2F..%2Fsession', 'badger-mug%00', 'badger-mug;x=1', 'badger-mug?x', 'badger-mug#x'),
    );
    const method = fc.constantFrom('PUT', 'DELETE', 'GET');
    await fc.assert(
      fc.asyncProperty(method, rawSegment, async (verb, segment) => {
        const base = verb === 'GET' ? '/Items/' : '/Cart/Item/';
        const sent = verb === 'PUT' ? jsonRequest(verb, `${base}${segment}`, shopper.token, { quantity: 4 }) : { method: verb, path: `${base}${segment}`, headers: bearer(shopper.token) };
        let decoded: string | undefined;
        try {
          decoded = decodeURIComponent(segment.replace(/[?#].*$/, ''));
        } catch {
          decoded = undefined;
        }
        const reply = await hostile(shopper, sent, { echoes: [segment, decoded ?? ''] });
        // Bytes past ASCII in a request target: Node's parser refuses the request, and the answer is
        // still the contract's JSON (DECISIONS.md "Operations").
        if (/[^\x00-\x7f]/.test(segment)) {
          insist(reply.status === 400 && codeOf(reply) === 'INVALID_BODY', 'a non-ASCII request target should be refused with 400 INVALID_BODY', sent, reply);
          return;
        }
        // A broken %-escape in an item path is an unknown item (DECISIONS.md), not a crash.
        if (decoded === undefined) insist(reply.status === 404 && codeOf(reply) === 'ITEM_NOT_FOUND', 'a broken %-escape in an item id should be 404 ITEM_NOT_FOUND', sent, reply);
        // Only a well-formed id may succeed; anything else in the id position is a 4xx.
        if (reply.status < 400 && !segment.includes('?') && !segment.includes('#')) {
          insist(decoded !== undefined && ITEM_ID_PATTERN.test(decoded), 'a malformed id was accepted', sent, reply);
        }
      }),
      RUNS,
    );
  });
});

describe('GET /Items/:id with hostile ids', () => {
  it('is 200 with the item for catalog ids and 404 ITEM_NOT_FOUND for anything else, with or without a session', async () => {
    const shopper = await newShopper();
    await fc.assert(
      fc.asyncProperty(hostileId, fc.boolean(), async (id, signedIn) => {
        const sent: Sent = { method: 'GET', path: `/Items/${encodeSegment(id)}`, headers: signedIn ? bearer(shopper.token) : {} };
        const known = ITEM_ID_PATTERN.test(id) && findItem(id) !== undefined;
        // An empty id leaves "/Items/": the whole catalog (a trailing slash is allowed).
        const outcome = known || id === '' ? { status: 200 } : { status: 404, code: 'ITEM_NOT_FOUND' };
        const expected = tooLongForHeaders(sent.path) ? { status: [outcome.status, 431] } : outcome;
        const reply = await hostile(shopper, sent, { echoes: [id], expected, applied: () => undefined });
        if (reply.status === 200 && id !== '') insist((JSON.parse(reply.text) as { item: { id: string } }).item.id === id, 'the wrong item', sent, reply);
      }),
      RUNS,
    );
  });
});

describe('PATCH /Cart/checkout with hostile bodies and Idempotency-Keys', () => {
  const payment = fc.oneof(
    { arbitrary: fc.record({ token: fc.oneof(fc.constant('tok_declined'), fc.constantFrom('tok_visa', '', ' ', 'tok_declined ', 'TOK_DECLINED', 'x'.repeat(255), 'x'.repeat(256)), anyString) }), weight: 4 },
    { arbitrary: fc.record({ token: anyJson }, { requiredKeys: [] }), weight: 2 },
    { arbitrary: fc.tuple(fc.record({ token: fc.constantFrom('tok_declined', 'tok_visa') }), extraKeys).map(([body, extra]) => ({ ...extra, ...body })), weight: 1 },
    { arbitrary: anyJson, weight: 1 },
  );
  const checkoutBody = fc.oneof(
    { arbitrary: fc.record({ payment }), weight: 6 },
    { arbitrary: fc.tuple(fc.record({ payment }), extraKeys).map(([body, extra]) => ({ ...extra, ...body })), weight: 1 },
    { arbitrary: anyJson, weight: 2 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
  const idempotencyKey = fc.option(
    fc.oneof(
      headerValue(40),
      fc.constantFrom('', ' ', '\t', 'order-1', ' order-1 ', 'a'.repeat(255), 'a'.repeat(256), '\u00e9t\u00e9', 'key with spaces', '"quoted"', '*', '../../etc', '{tag}'),
      fc.integer({ min: 250, max: 260 }).map((n) => 'k'.repeat(n)),
    ),
    { nil: undefined, freq: 4 },
  );

  /** 1 to 255 printable ASCII characters, as the service sees it: Node trims spaces and tabs around a header value. */
  const wellFormedKey = (key: string) => /^[\x20-\x7e]{1,255}$/.test(key.replace(/^[ \t]+|[ \t]+$/g, ''));

  /** The contract's answer for a non-empty cart (the test's shopper always has one). */
  function checkoutOutcome(wire: string | undefined, key: string | undefined): Outcome {
    const gate = bodyGate(wire);
    if (gate) return gate;
    if (key !== undefined && !wellFormedKey(key)) return { status: 400, code: 'INVALID_BODY' };
    const body: unknown = wire === undefined ? undefined : JSON.parse(wire);
    if (!isPlainObject(body) || !hasOnlyKeys(body, ['payment']) || !isPlainObject(body.payment) || !hasOnlyKeys(body.payment, ['token'])) return { status: 400, code: 'INVALID_BODY' };
    const token = body.payment.token;
    if (typeof token !== 'string' || token.length < 1 || token.length > 255) return { status: 400, code: 'INVALID_BODY' };
    if (token === 'tok_declined') return { status: 402, code: 'PAYMENT_DECLINED' };
    return { status: 200, applied: (m) => m.clear() };
  }

  it('never 5xx; a 4xx (402 included) keeps the cart whole, a 200 empties it, and a retry replays', async () => {
    await fc.assert(
      fc.asyncProperty(checkoutBody, idempotencyKey, async (body, key) => {
        // A new shopper per run: Idempotency-Keys are scoped per shopper, so a key repeated by the
        // generator (or while shrinking) cannot meet an earlier run's record.
        const shopper = await newShopper();
        const sent = jsonRequest('PATCH', '/Cart/checkout', shopper.token, body);
        if (key !== undefined) sent.headers['idempotency-key'] = key;
        const outcome = checkoutOutcome(sent.body, key);
        const first = await hostile(shopper, sent, { expected: outcome, applied: outcome.applied });
        if (outcome.status === 200) {
          // The order left the cart: nothing of it stays in Redis.
          insist((await inspect.exists(shopper.cartKey)) === 0, 'the cart key is still in Redis after an order', sent, first);
        }
        // The same request again: with a well-formed key and a readable body, the first answer
        // comes back as it was (CONTRACT.md "Checkout rules"), and the cart still does not move.
        // Not stored (DECISIONS.md): a malformed key, and a body refused before it could be compared.
        const stored = key !== undefined && wellFormedKey(key) && bodyGate(sent.body) === undefined;
        const again = await hostile(shopper, sent, stored ? { expected: { status: first.status }, applied: () => undefined } : {});
        if (stored) {
          insist(again.text === first.text && again.headers['idempotent-replayed'] === 'true', 'a retry with the same Idempotency-Key and body did not replay the first answer', sent, again);
        }
      }),
      { ...RUNS, numRuns: 50 },
    );
  });
});

describe('any path, any method', () => {
  const word = fc.constantFrom('Cart', 'cart', 'CART', 'Item', 'item', 'Items', 'ITEMS', 'checkout', 'Checkout', 'session', 'healthz', 'readyz', ...CATALOG_IDS);
  const oddSegment = fc.constantFrom('', '.', '..', '%2e%2e', '%2E', '%ZZ', '%', '%00', '%2F', ';', '~', '*', '@', ':', 'a%20b', '\u00e9', '%C3%A9', '%F0%9F%A6%A1');
  const segment = fc.oneof({ arbitrary: word, weight: 4 }, { arbitrary: oddSegment, weight: 2 }, { arbitrary: fc.webSegment(), weight: 2 });
  // The storefront's own routes, in any case, with or without a trailing slash and a query string:
  // without them, nearly every generated path would be a plain 404.
  const route = fc.oneof(
    fc.constantFrom('/Cart', '/Cart/Item', '/Cart/checkout', '/Items', '/session', '/healthz', '/readyz'),
    fc.tuple(fc.constantFrom('/Cart/Item/', '/Items/'), fc.oneof(catalogId, wellFormedId, oddSegment)).map(([base, id]) => `${base}${id}`),
  );
  const knownPath = fc
    .tuple(route.chain((r) => fc.mixedCase(fc.constant(r))), fc.boolean(), fc.option(fc.webQueryParameters(), { nil: undefined }))
    .map(([r, slash, query]) => `${r}${slash ? '/' : ''}${query ? `?${query}` : ''}`);
  const path = fc.oneof(
    { arbitrary: knownPath, weight: 8 },
    { arbitrary: fc.tuple(fc.array(segment, { minLength: 0, maxLength: 5 }), fc.boolean(), fc.option(fc.webQueryParameters(), { nil: undefined }))
      .map(([segments, slash, query]) => `/${segments.join('/')}${slash ? '/' : ''}${query ? `?${query}` : ''}`), weight: 4 },
    { arbitrary: fc.constantFrom('*', '//Cart', '/Cart//Item', 'http://evil.example/Cart', 'http://127.0.0.1/Items', '/Cart/Item/badger-mug/extra', '/Cart/checkout/x', '/Cart/Item?id=badger-mug', '/Items/../Cart', '/%2e%2e/Cart', '/\\Cart'), weight: 1 },
  );
  const method = fc.oneof(
    { arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'), weight: 3 },
    // Methods Node's parser knows but no route here serves, and one it does not know at all.
    { arbitrary: fc.constantFrom('OPTIONS', 'TRACE', 'PURGE', 'PROPFIND', 'SEARCH', 'MKCOL', 'LINK', 'FOO'), weight: 1 },
  );
  const body = fc.option(fc.oneof(anyJson, fc.record({ id: hostileId, quantity: hostileQuantity }, { requiredKeys: [] })), { nil: undefined, freq: 2 });

  it('never answers 5xx, errors are JSON without stack traces, and a 4xx leaves the cart alone', async () => {
    const shopper = await newShopper();
    await fc.assert(
      fc.asyncProperty(method, path, body, fc.boolean(), async (verb, target, payload, signedIn) => {
        // A HEAD whose request line Node's parser refuses is the subject of its own test below.
        fc.pre(!(verb === 'HEAD' && /[^\x00-\x7f]/.test(target)));
        const sent = jsonRequest(verb, target, signedIn ? shopper.token : undefined, payload);
        let decoded = target;
        try {
          decoded = decodeURIComponent(target);
        } catch {
          // keep it raw
        }
        const reply = await hostile(shopper, sent, { echoes: [target, decoded, ...target.split('/'), ...decoded.split('/')] });
        // The cart is not for strangers: without a session, anything under /Cart is 401, unknown
        // paths included (DECISIONS.md), once Node's parser has accepted the request.
        const parsable = verb !== 'FOO' && !/[^\x00-\x7f]/.test(target);
        if (!signedIn && parsable && /^\/cart(\/|\?|$)/i.test(target)) {
          insist(reply.status === 401, 'a /Cart… route without a session should be 401', sent, reply);
        }
      }),
      { ...RUNS, numRuns: 100 },
    );
  });

  it('a request that the HTTP parser refuses (a byte past ASCII in the path) gets a well-formed 400, HEAD included', async () => {
    for (const verb of ['GET', 'DELETE', 'HEAD']) {
      for (const target of ['/\u00e9', '/Cart/Item/badger-m\u00fcg', '/Items/\u00ff']) {
        const sent: Sent = { method: verb, path: target, headers: {} };
        // A client that cannot parse the answer (a HEAD answered with a body, say) rejects here.
        const reply = await send(sent);
        insist(reply.status === 400, 'expected 400', sent, reply);
        if (verb === 'HEAD') insist(reply.text === '', 'an answer to HEAD must have no body', sent, reply);
        else judge(sent, reply);
      }
    }
  });
});

describe('hostile Content-Type headers', () => {
  const contentType = fc.oneof(
    { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 2 },
    { arbitrary: fc.constantFrom(
      'application/json', 'APPLICATION/JSON', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json; charset=latin1',
      'application/json; charset=utf-16', 'application/json; charset=utf-7', 'application/json; charset="utf-8"', 'application/json;;;', 'application/json; x',
      'application/vnd.api+json', 'application/problem+json', 'application/json-patch+json', 'application/jsonx', 'text/json', 'text/plain',
      'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', '*/*', 'application/*', 'json', '', ' ',
      'application/json, text/plain', 'application/json\t', 'application/ json',
    ), weight: 3 },
    { arbitrary: headerValue(60), weight: 1 },
  );
  const body = fc.constantFrom<string | undefined>('{"id":"badger-stickers"}', '{"quantity":2}', 'id=badger-stickers', '', '{"id":', undefined);

  it('a body that is not JSON is 415 whatever the route, a JSON one is read, never 5xx, and a refusal keeps the cart', async () => {
    const shopper = await newShopper();
    const route = fc.constantFrom(
      { method: 'POST', path: '/Cart/Item' },
      { method: 'PUT', path: '/Cart/Item/badger-stickers' },
      { method: 'PATCH', path: '/Cart/checkout' },
      { method: 'DELETE', path: '/Cart/Item/badger-stickers' },
      { method: 'GET', path: '/Cart' },
    );
    await fc.assert(
      fc.asyncProperty(route, contentType, body, async ({ method, path }, type, text) => {
        const sent: Sent = { method, path, headers: { ...bearer(shopper.token), 'content-type': type }, body: text };
        const essence = type.split(';')[0].trim().toLowerCase();
        const jsonish = essence === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(essence);
        const reply = await hostile(shopper, sent);
        // "A request without a body needs no Content-Type" (CONTRACT.md): whatever it says then.
        if (text !== undefined && text !== '' && !jsonish) {
          insist(reply.status === 415 && codeOf(reply) === 'UNSUPPORTED_MEDIA_TYPE', 'a non-JSON media type should be 415 UNSUPPORTED_MEDIA_TYPE', sent, reply);
        }
        if (text === undefined && method === 'GET') insist(reply.status === 200, 'GET /Cart without a body must not care about Content-Type', sent, reply);
        // And JSON sent as plain application/json (UTF-8 being JSON's own encoding) is read.
        if (/^application\/json(; charset=utf-8)?$/.test(type) && text?.startsWith('{"')) {
          insist(reply.status !== 415, 'a JSON body sent as application/json was refused as another media type', sent, reply);
          if (method === 'POST' && text === '{"id":"badger-stickers"}') insist(reply.status === 201 || reply.status === 422, 'a valid add should be 201 (or 422 at the line limit)', sent, reply);
          if (method === 'PUT' && text === '{"quantity":2}') insist(reply.status === 200, 'a valid PUT should be 200', sent, reply);
        }
      }),
      RUNS,
    );
  });
});

describe('hostile Authorization and Cookie headers', () => {
  // Placeholders for the shopper's real token, so generated headers can carry it, whole or damaged.
  const REAL = '\u0001REAL\u0001';
  const tokenish = fc.oneof(
    { arbitrary: fc.constant(REAL), weight: 4 },
    { arbitrary: fc.constantFrom(`${REAL}x`, `x${REAL}`, `${REAL}${REAL}`, `"${REAL}"`, `${REAL},${REAL}`, `${REAL};`, `${REAL}=`, `${REAL}%20`), weight: 2 },
    { arbitrary: fc.constantFrom('TRUNCATED', 'FLIPPED', 'UPPER'), weight: 2 },
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), weight: 1 },
    { arbitrary: headerValue(60), weight: 1 },
  );
  const scheme = fc.oneof(
    { arbitrary: fc.constant('Bearer '), weight: 2 },
    { arbitrary: fc.constantFrom('bearer ', 'BEARER ', 'Bearer  ', 'Bearer\t', 'Bearer', 'Basic ', 'Token ', 'Bearer: ', ' Bearer ', 'Bearer realm='), weight: 3 },
  );
  const authorization = fc.option(fc.oneof(fc.tuple(scheme, tokenish).map(([s, t]) => `${s}${t}`), headerValue(80)), { nil: undefined, freq: 3 });
  const cookiePair = fc.oneof(
    fc.tuple(fc.constantFrom('sid', 'SID', ' sid', 'sid ', 'sid2', 'xsid', ''), fc.constantFrom('=', '=='), tokenish).map(([n, eq, t]) => `${n}${eq}${t}`),
    headerValue(30),
  );
  const cookie = fc.option(fc.tuple(fc.array(cookiePair, { minLength: 1, maxLength: 3 }), fc.constantFrom('; ', ';', ' ; ', ',')).map(([pairs, sep]) => pairs.join(sep)), { nil: undefined, freq: 3 });
  const route = fc.constantFrom(
    { method: 'GET', path: '/Cart', body: undefined },
    { method: 'POST', path: '/Cart/Item', body: { id: 'badger-socks' } },
    { method: 'DELETE', path: '/Cart/Item/badger-mug', body: undefined },
    { method: 'PATCH', path: '/Cart/checkout', body: { payment: { token: 'tok_declined' } } },
    { method: 'GET', path: '/Cart/nowhere', body: undefined },
    { method: 'GET', path: '/Items', body: undefined },
  );

  function damaged(token: string, how: string): string {
    if (how === 'TRUNCATED') return token.slice(0, -1);
    if (how === 'FLIPPED') return `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    if (how === 'UPPER') return token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase();
    return how;
  }

  /** The contract: Authorization wins when sent; "Bearer <token>" (scheme in any case) is the only form. */
  function authenticates(auth: string | undefined, cookieHeader: string | undefined, token: string): boolean | 'either' {
    const trim = (value: string) => value.replace(/^[ \t]+|[ \t]+$/g, '');
    // The scheme is case-insensitive (RFC 9110); the token is not.
    if (auth !== undefined) {
      const match = /^bearer +(.*)$/i.exec(trim(auth));
      if (match?.[1] === token) return true;
      // Other white space (a no-break space, say) around the token: lenient or strict, both fine.
      return match?.[1].trim() === token ? 'either' : false;
    }
    if (cookieHeader === undefined) return false;
    // Spaces around a cookie's name and value are not part of them (as common cookie parsers read
    // it); a value in double quotes may or may not be unquoted: the contract does not say.
    const sids = cookieHeader
      .split(';')
      .map((pair) => [pair.slice(0, Math.max(0, pair.indexOf('='))).trim(), pair.slice(pair.indexOf('=') + 1).trim()])
      .filter(([name]) => name === 'sid')
      .map(([, value]) => value);
    const good = sids.filter((value) => value === token || value === `"${token}"`);
    if (good.length === 0) return false;
    if (good.some((value) => value !== token)) return 'either';
    // Several sid cookies, only some valid: the contract is silent on which one counts.
    return good.length === sids.length ? true : 'either';
  }

  it('an unknown, damaged or misplaced token is 401 on /Cart… (never 5xx, never echoed), the catalog stays public', async () => {
    const shopper = await newShopper();
    await fc.assert(
      fc.asyncProperty(route, authorization, cookie, async ({ method, path, body }, auth, cookies) => {
        const fill = (value: string) => value.split(REAL).join(shopper.token).replace(/TRUNCATED|FLIPPED|UPPER/g, (how) => damaged(shopper.token, how));
        const authValue = auth === undefined ? undefined : fill(auth);
        const cookieValue = cookies === undefined ? undefined : fill(cookies);
        const sent = jsonRequest(method, path, undefined, body);
        if (authValue !== undefined) sent.headers.authorization = authValue;
        if (cookieValue !== undefined) sent.headers.cookie = cookieValue;
        const valid = authenticates(authValue, cookieValue, shopper.token);
        const reply = await hostile(shopper, sent, {
          applied: method === 'POST' ? (m) => m.set('badger-socks', (m.get('badger-socks') ?? 0) + 1) : method === 'DELETE' ? (m) => m.delete('badger-mug') : () => undefined,
        });
        if (path === '/Items') {
          insist(reply.status === 200, 'the catalog is public: GET /Items must not care about credentials', sent, reply);
        } else if (valid === false) {
          insist(reply.status === 401 && codeOf(reply) === 'UNAUTHENTICATED', 'a request without a valid token should be 401 UNAUTHENTICATED', sent, reply);
        } else if (valid === true) {
          insist(reply.status !== 401, 'a valid token was refused', sent, reply);
        }
        // No raw token ever appears in an answer's body (CONTRACT.md "Identity").
        insist(!reply.text.includes(shopper.token), 'the session token appears in the answer', sent, reply);
      }),
      { ...RUNS, numRuns: 100 },
    );
  });
});

describe('hostile request ids, identity and forwarding headers', () => {
  const requestId = fc.option(
    fc.oneof(headerValue(140), fc.constantFrom('a'.repeat(128), 'a'.repeat(129), 'req-1', ' req-1 ', 'req 1', '', '\t', 'x'.repeat(4_000))),
    { nil: undefined, freq: 4 },
  );
  // A client posing as the gateway: garbage, the right shape, or a genuine signature for someone else.
  const identity = fc.option(
    fc.oneof(
      headerValue(80),
      fc.constantFrom('v1', 'v1....', 'v1.a.1.b.c', `v1.${'a'.repeat(32)}.9999999999999.${'n'.repeat(16)}.sig`),
      fc.constant('SIGNED-FOR-SOMEONE-ELSE'),
    ),
    { nil: undefined, freq: 2 },
  );
  const forwarded = fc.option(fc.oneof(headerValue(40), fc.constantFrom('127.0.0.1', 'for=10.0.0.1', '::1, 10.0.0.1')), { nil: undefined, freq: 2 });
  const route = fc.constantFrom({ method: 'GET', path: '/Cart', body: undefined }, { method: 'POST', path: '/Cart/Item', body: { id: 'badger-socks' } });

  it('never 5xx; another identity is never taken from the client; a valid X-Request-Id comes back, any other is replaced', async () => {
    const shopper = await newShopper();
    await fc.assert(
      fc.asyncProperty(route, fc.boolean(), requestId, identity, forwarded, async ({ method, path, body }, signedIn, id, forged, via) => {
        const sent = jsonRequest(method, path, signedIn ? shopper.token : undefined, body);
        if (id !== undefined) sent.headers['x-request-id'] = id;
        if (forged !== undefined) {
          sent.headers['x-storefront-identity'] = forged === 'SIGNED-FOR-SOMEONE-ELSE' ? gatewayIdentity(freshShopper(), method, path)['x-storefront-identity'] : forged;
        }
        if (via !== undefined) {
          sent.headers['x-forwarded-for'] = via;
          sent.headers.forwarded = via;
        }
        const reply = await hostile(shopper, sent, {
          // With a session the request is the shopper's own, whatever identity it claims; without one, 401.
          expected: signedIn ? { status: method === 'POST' ? [201, 422] : 200 } : { status: 401, code: 'UNAUTHENTICATED' },
          applied: method === 'POST' ? (m) => m.set('badger-socks', (m.get('badger-socks') ?? 0) + 1) : () => undefined,
        });
        const echoed = reply.headers['x-request-id'];
        const given = id?.replace(/^[ \t]+|[ \t]+$/g, '');
        insist(typeof echoed === 'string' && /^[\x21-\x7e]{1,128}$/.test(echoed), 'every answer carries a well-formed X-Request-Id', sent, reply);
        if (given !== undefined && /^[\x21-\x7e]{1,128}$/.test(given)) insist(echoed === given, 'a valid X-Request-Id should come back as sent', sent, reply);
        else insist(echoed !== given, 'an invalid X-Request-Id came back', sent, reply);
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Oversized bodies: refused at once, not read to the end.

const MIB = 1024 * 1024;

interface Upload {
  status: number;
  text: string;
  /** Bytes of the body written when the answer's headers arrived. */
  written: number;
  ms: number;
}

/**
 * Sends `method path` with a 1 MiB body (announced in Content-Length, or chunked), writing at most
 * `writeAtMost` bytes of it and then waiting for the answer (ending the request only when `end`).
 */
function upload(
  method: string,
  path: string,
  token: string | undefined,
  options: { chunked: boolean; writeAtMost: number; end?: boolean },
): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { 'content-type': 'application/json', ...(token ? bearer(token) : {}) };
    if (options.chunked) headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = MIB;
    // A fresh connection of its own: it is destroyed once the answer is in.
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false });
    const started = Date.now();
    let written = 0;
    let answered = false;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${method} ${path} (${options.chunked ? 'chunked' : 'Content-Length: 1048576'}): no answer within 3 s after writing ${written} bytes`));
    }, 3_000);
    req.on('response', (res) => {
      answered = true;
      const at = written;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), written: at, ms: Date.now() - started });
      });
    });
    req.on('error', (err) => {
      if (answered) return; // our own destroy after the answer
      clearTimeout(timer);
      reject(new Error(`${method} ${path}: ${err.message} after writing ${written} bytes`));
    });
    // The start of a plausible JSON body, then filler, in 4 KiB pieces.
    const piece = Buffer.alloc(4 * 1024, 'a');
    const head = Buffer.from('{"id":"badger-mug","quantity":1,"pad":"');
    const writeMore = () => {
      while (!answered && written < options.writeAtMost) {
        const chunk = written === 0 ? Buffer.concat([head, piece.subarray(head.length)]) : piece;
        written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', writeMore);
          return;
        }
      }
      if (!answered && options.end) req.end();
    };
    writeMore();
  });
}

const UPLOAD_ROUTES = [
  { method: 'POST', path: '/Cart/Item', signedIn: true },
  { method: 'PUT', path: '/Cart/Item/badger-mug', signedIn: true },
  { method: 'DELETE', path: '/Cart/Item/badger-mug', signedIn: true },
  { method: 'PATCH', path: '/Cart/checkout', signedIn: true },
  { method: 'GET', path: '/Cart', signedIn: true },
  { method: 'GET', path: '/Items/badger-mug', signedIn: false },
  { method: 'POST', path: '/session', signedIn: false },
];

/**
 * Sends the upload to every route at once (each with a shopper of its own, so they cannot disturb
 * each other) and lists what went wrong on each: one failure report naming every route affected.
 */
async function uploadEverywhere(options: { chunked: boolean; writeAtMost: number; end?: boolean }, how: string): Promise<string[]> {
  // One after another: a new shopper's cart key is found as the one key that appeared.
  const shoppers: Shopper[] = [];
  for (let i = 0; i < UPLOAD_ROUTES.length; i += 1) shoppers.push(await newShopper());
  const problems = await Promise.all(
    UPLOAD_ROUTES.map(async (route, i) => {
      const name = `${route.method} ${route.path} (${how})`;
      const shopper = shoppers[i];
      try {
        const before = await cartState(shopper);
        const answer = await upload(route.method, route.path, route.signedIn ? shopper.token : undefined, options);
        const sent: Sent = { method: route.method, path: route.path, headers: { note: how } };
        const reply: Reply = { status: answer.status, headers: { 'content-type': 'application/json' }, text: answer.text, ms: answer.ms };
        const found: string[] = [];
        if (answer.status !== 413 || codeOf(reply) !== 'PAYLOAD_TOO_LARGE') found.push(`answered ${answer.status} ${answer.text} after ${answer.ms} ms, not 413 PAYLOAD_TOO_LARGE`);
        else judge(sent, reply);
        // Refused before the client sent the rest (it never does), and soon.
        if (!options.end && answer.ms > 1_000) found.push(`answered after ${answer.ms} ms`);
        const after = await cartState(shopper);
        if (JSON.stringify(after.lines) !== JSON.stringify(before.lines) || JSON.stringify(after.hash) !== JSON.stringify(before.hash)) {
          found.push(`the cart changed: ${JSON.stringify(before.hash)} -> ${JSON.stringify(after.hash)}`);
        }
        return found.map((problem) => `${name}: ${problem}`);
      } catch (err) {
        return [`${name}: ${(err as Error).message}`];
      }
    }),
  );
  return problems.flat();
}

describe('a 1 MiB body', () => {
  it('announced in Content-Length, on every route: 413 at once, with most of it never sent', async () => {
    // 8 KiB of the 1 MiB announced, then the client waits: the answer must not need the rest.
    expect(await uploadEverywhere({ chunked: false, writeAtMost: 8 * 1024 }, 'Content-Length: 1048576, 8 KiB written')).toEqual([]);
  });

  it('chunked, on every route: 413 once past the limit, without waiting for the rest of it', async () => {
    // 64 KiB, four times the limit, then nothing more: the service has all it needs to refuse.
    expect(await uploadEverywhere({ chunked: true, writeAtMost: 64 * 1024 }, 'chunked, 64 KiB written, not ended')).toEqual([]);
  });

  it('chunked to the end, on every route: 413', async () => {
    expect(await uploadEverywhere({ chunked: true, writeAtMost: MIB, end: true }, 'chunked, 1 MiB, ended')).toEqual([]);
  });
});

describe('a slow body', () => {
  it('a small valid body sent slowly is not a 5xx, and the cart shows what the answer says', async () => {
    const shopper = await newShopper();
    const before = await cartState(shopper);
    const body = '{"id":"badger-socks"}';
    // Half the body, then a pause longer than the gateway's wait for a service (UPSTREAM_TIMEOUT_MS
    // is 2000 in the harness): the client is slow here, not the service.
    const reply = await new Promise<Reply>((resolve, reject) => {
      const started = Date.now();
      const headers = { ...bearer(shopper.token), 'content-type': 'application/json', 'content-length': body.length };
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/Cart/Item', headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(rest);
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started });
        });
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      const rest = setTimeout(() => req.end(body.slice(10)), 2_500);
    });
    const sent: Sent = { method: 'POST', path: '/Cart/Item', headers: { note: 'half the body, 2.5 s pause, the rest' }, body };
    judge(sent, reply);
    const after = await cartState(shopper);
    if (reply.status === 201) expect(after.lines).toEqual(sortedLines([...before.lines, ['badger-socks', 1]]));
    else expectUnchanged(before, after, sent, reply);
  });
});
