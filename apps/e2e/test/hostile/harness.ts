// Hostile input, end to end: property-based tests (fast-check) that throw generated bodies, ids,
// quantities, headers, paths and methods at every route through the gateway, on a real Redis.
// Whatever arrives, the storefront must never answer 5xx, every error must be the contract's JSON
// shape without a stack trace, and a 4xx must leave the shopper's cart as it was: both as the
// shopper reads it back (GET /Cart) and as it lies in Redis.
//
// This is the suite's harness: a storefront per spec file, a raw sender, and shoppers whose carts
// are read back over HTTP and in Redis. Requests go out through the test kit's client (node:http)
// rather than fetch: fetch normalises paths ("/a/../b"), refuses some methods and rewrites header
// values, and the point here is to send exactly what was generated.
import http, { type OutgoingHttpHeaders } from 'node:http';
import type { Redis } from 'ioredis';
import { connectTestRedis, sendRequest, testRedisUrl } from '@storefront/test-kit';
import { newSession, startStorefront, type Storefront } from '../storefront-harness';
import * as oracle from './contract-oracle';
import { MAX_QUANTITY, Violation, account, codeOf, type Reply, type Sent } from './contract-oracle';

export type { Reply, Sent } from './contract-oracle';

/** A hang is a failure too: no answer within this long rejects. */
const ANSWER_WITHIN_MS = 5_000;

const SEED: ReadonlyArray<[string, number]> = [
  ['badger-mug', 2],
  ['badger-tee', 3],
];

// ---------------------------------------------------------------------------------------------
// Requests, and failure messages that do not show the session tokens in full.

/** Session tokens this spec file was issued: shown as <token> in failure messages. */
const issuedTokens = new Set<string>();

/** The oracle's insist, with this file's tokens masked in the message. */
export function insist(condition: unknown, why: string, sent: Sent, reply?: Reply): asserts condition {
  oracle.insist(condition, why, sent, reply, issuedTokens);
}

/** The oracle's checks for every answer, with this file's tokens masked in the message. */
export function judge(sent: Sent, reply: Reply, echoes: readonly string[] = []): void {
  oracle.judge(sent, reply, echoes, issuedTokens);
}

export function bearer(token: string): OutgoingHttpHeaders {
  return { authorization: `Bearer ${token}` };
}

export function jsonRequest(method: string, path: string, token: string | undefined, body: unknown): Sent {
  const headers: OutgoingHttpHeaders = token ? bearer(token) : {};
  if (body === undefined) return { method, path, headers };
  return { method, path, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * A path segment carrying `raw` exactly: percent-encoded, dots too (so "." and ".." stay an id). A
 * lone surrogate has no UTF-8 form; it goes out as its 3 raw bytes (WTF-8), which no server can
 * decode: one more hostile input.
 */
export function encodeSegment(raw: string): string {
  let out = '';
  // Iterating a string yields code points: a valid surrogate pair comes as one, a lone half alone.
  for (const char of raw) {
    try {
      out += encodeURIComponent(char);
    } catch {
      const code = char.charCodeAt(0);
      const bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
      out += bytes.map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    }
  }
  return out.replace(/\./g, '%2E');
}

// ---------------------------------------------------------------------------------------------
// A shopper with a cart, and what that cart looks like over HTTP and in Redis.

export interface Shopper {
  token: string;
  /** The shopper's cart key in Redis (its name holds an HMAC, so it is found, not computed). */
  cartKey: string;
  /** What the cart should hold, kept up to date from the contract as requests succeed. */
  model: Map<string, number>;
}

export interface CartState {
  /** The cart as GET /Cart answers it, sorted by id. */
  lines: Array<[string, number]>;
  /** HGETALL of the cart key. */
  hash: Record<string, string>;
  /** Every cart and checkout-claim key of this storefront: a 4xx must not create or drop one. */
  cartKeys: string[];
}

export function sortedLines(entries: Iterable<[string, number]>): Array<[string, number]> {
  return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function expectModel(shopper: Shopper, state: CartState, context: string): void {
  const expected = sortedLines(shopper.model.entries());
  if (JSON.stringify(state.lines) !== JSON.stringify(expected)) {
    const shows = JSON.stringify(state.lines);
    throw new Violation(`${context}: GET /Cart shows ${shows}, expected ${JSON.stringify(expected)}`);
  }
}

export function expectUnchanged(before: CartState, after: CartState, sent: Sent, reply: Reply): void {
  const when = `after a ${reply.status}`;
  const [linesBefore, linesAfter] = [JSON.stringify(before.lines), JSON.stringify(after.lines)];
  const read = `the cart read back changed ${when}: ${linesBefore} -> ${linesAfter}`;
  insist(linesAfter === linesBefore, read, sent, reply);
  const [hashBefore, hashAfter] = [JSON.stringify(before.hash), JSON.stringify(after.hash)];
  insist(hashAfter === hashBefore, `the cart in Redis changed ${when}: ${hashBefore} -> ${hashAfter}`, sent, reply);
  insist(
    after.cartKeys.join('\n') === before.cartKeys.join('\n'),
    `cart or claim keys in Redis changed ${when}: ${before.cartKeys.length} -> ${after.cartKeys.length} keys`,
    sent,
    reply,
  );
}

export interface Expectation {
  echoes?: readonly string[];
  /** The status (and code) the contract asks for, when the test can tell. */
  expected?: { status: number | readonly number[]; code?: string };
  /** A 2xx's effect on the model; undefined: adopt whatever the cart now holds. */
  applied?: (model: Map<string, number>) => void;
}

// ---------------------------------------------------------------------------------------------
// The storefront.

export interface HostileStorefront {
  /** The gateway's port, for requests that need a connection of their own. */
  port(): number;
  /** A connection to the storefront's Redis, to look at the keys themselves. */
  redis(): Redis;
  /** Sends exactly `sent` over a kept-alive connection; rejects on a network error or a hang. */
  send(sent: Sent): Promise<Reply>;
  /** A new session whose cart holds the seed lines. */
  newShopper(): Promise<Shopper>;
  cartState(shopper: Shopper): Promise<CartState>;
  /**
   * The frame of most properties: the cart as it was, the request, the universal checks, the cart
   * after. A 4xx must leave it exactly as it was; a 2xx is checked against `applied` (the change
   * the contract says it makes), or, when the test cannot know, adopted as the new expectation.
   * When the expectation depends on the cart (a line limit), pass a function of the cart as it is
   * just before.
   */
  hostile(
    shopper: Shopper,
    sent: Sent,
    plan?: Expectation | ((cart: ReadonlyMap<string, number>) => Expectation),
  ): Promise<Reply>;
}

/**
 * Starts a storefront on a real Redis before the spec file's tests (and stops it after), and gives
 * the means to talk to it. Call it once, at the top of a spec file.
 */
export function useHostileStorefront(): HostileStorefront {
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

  async function send(sent: Sent): Promise<Reply> {
    try {
      return await sendRequest(store.gatewayUrl, sent, { agent, timeoutMs: ANSWER_WITHIN_MS });
    } catch (err) {
      throw new Error(`${account(sent, undefined, issuedTokens)}: ${(err as Error).message}`);
    }
  }

  async function cartKeysOfStore(): Promise<string[]> {
    const [carts, claims] = await Promise.all([
      inspect.keys(`${store.prefix}cart:*`),
      inspect.keys(`${store.prefix}claim*`),
    ]);
    return [...carts, ...claims].sort();
  }

  async function readCart(token: string): Promise<Array<[string, number]>> {
    const sent: Sent = { method: 'GET', path: '/Cart', headers: bearer(token) };
    const reply = await send(sent);
    insist(reply.status === 200, 'GET /Cart with a valid token did not answer 200', sent, reply);
    const cart = (JSON.parse(reply.text) as { cart: Array<{ id: string; quantity: number }> }).cart;
    return sortedLines(cart.map((line) => [line.id, line.quantity]));
  }

  async function cartState(shopper: Shopper): Promise<CartState> {
    const [lines, hash, cartKeys] = await Promise.all([
      readCart(shopper.token),
      inspect.hgetall(shopper.cartKey),
      cartKeysOfStore(),
    ]);
    if (lines.length > 0) {
      // Every key the storefront writes expires (CONTRACT.md); a hostile request must not change that.
      const ttl = await inspect.pttl(shopper.cartKey);
      if (ttl <= 0) throw new Violation(`the cart key has no expiry (PTTL ${ttl})`);
    }
    return { lines, hash, cartKeys };
  }

  async function setLine(token: string, id: string, quantity: number): Promise<void> {
    const sent = jsonRequest('PUT', `/Cart/Item/${id}`, token, { quantity });
    const reply = await send(sent);
    insist(reply.status === 200, 'seeding a cart line failed', sent, reply);
  }

  /** Its cart key is the one key that appeared while its cart was seeded. */
  async function newShopper(): Promise<Shopper> {
    const token = await newSession(store.gatewayUrl);
    issuedTokens.add(token);
    const before = new Set(await inspect.keys(`${store.prefix}cart:*`));
    for (const [id, quantity] of SEED) await setLine(token, id, quantity);
    const appeared = (await inspect.keys(`${store.prefix}cart:*`)).filter((key) => !before.has(key));
    if (appeared.length !== 1) {
      throw new Error(`expected one new cart key after seeding a cart, found ${JSON.stringify(appeared)}`);
    }
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
      const code = expected.code ? ` ${expected.code}` : '';
      insist(statuses.includes(reply.status), `expected ${statuses.join(' or ')}${code}`, sent, reply);
      if (expected.code && reply.status >= 400) {
        insist(codeOf(reply) === expected.code, `expected code ${expected.code}`, sent, reply);
      }
    }
    const after = await cartState(shopper);
    if (reply.status >= 400) {
      expectUnchanged(before, after, sent, reply);
    } else if (expectation.applied) {
      expectation.applied(shopper.model);
      expectModel(shopper, after, `after ${account(sent, reply, issuedTokens)}`);
    } else {
      shopper.model = new Map(after.lines);
    }
    return reply;
  }

  return { port: () => port, redis: () => inspect, send, newShopper, cartState, hostile };
}
