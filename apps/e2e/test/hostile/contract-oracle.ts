// The contract oracle of the hostile-input suite: for a request the generators made, the answer
// docs/CONTRACT.md requires (or allows), and the checks every answer must pass. Pure functions, no
// network and no Redis, so that the oracle can be tested on its own (contract-oracle.spec.ts): a
// property is only as good as the oracle that judges it.
import type { OutgoingHttpHeaders } from 'node:http';
import { ITEM_ID_PATTERN, findItem } from '@storefront/catalog';
import type { HttpReply } from '@storefront/test-kit';

// The contract's limits (docs/CONTRACT.md): defaults, which the harness does not change.
export const MAX_BODY_BYTES = 16 * 1024;
export const MAX_QUANTITY = 99;
// The gateway's limit on the request line and headers together; past it: 431 HEADERS_TOO_LARGE.
export const MAX_HEADER_BYTES = 16 * 1024;

/** A request exactly as it goes out on the wire. */
export interface Sent {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  body?: string;
}

/** An answer as the test kit's client gives it: status, headers, text, and how long it took. */
export type Reply = HttpReply;

// ---------------------------------------------------------------------------------------------
// Failure messages.

/**
 * A one-line account of a request and its answer, for failure messages (fast-check prints them).
 * Path and values are JSON-quoted so that invisible characters (C1 controls, say) show; each of
 * `hidden` (the session tokens issued) shows as <token>, not in full.
 */
export function account(sent: Sent, reply?: Reply, hidden: Iterable<string> = []): string {
  const secrets = [...hidden];
  const mask = (text: string) => secrets.reduce((out, token) => out.split(token).join('<token>'), text);
  const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…(${text.length} chars)` : text);
  const quote = (value: unknown) =>
    JSON.stringify(value).replace(
      /[\x7f-\x9f\u00a0\u00ad\u200b-\u200f\u2028\u2029\ufeff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  const body = sent.body === undefined ? '' : ` body=${quote(cut(sent.body))}`;
  const request = mask(`${sent.method} ${quote(cut(sent.path))} headers=${quote(sent.headers)}${body}`);
  if (!reply) return request;
  const type = quote(reply.headers.get('content-type') ?? '');
  return `${request}\n  -> ${reply.status} ${type} ${mask(reply.text.slice(0, 500))}`;
}

/** A broken rule of the contract (as opposed to a failure of the test's own machinery). */
export class Violation extends Error {}

export function insist(
  condition: unknown,
  why: string,
  sent: Sent,
  reply?: Reply,
  hidden?: Iterable<string>,
): asserts condition {
  if (!condition) throw new Violation(`${why}\n  ${account(sent, reply, hidden)}`);
}

// ---------------------------------------------------------------------------------------------
// What holds for every answer.

// Signs of a stack trace or of the server's files.
const STACK_SIGNS = [/^\s+at /m, /\bat \S+ \(.*:\d+:\d+\)/, /\.ts:/, /\.js:\d/, /node_modules/];

/**
 * The first sign of a stack trace or of the server's files in an error message, if any. Error
 * messages may echo a client's id or path (cut to 64 characters), so what the client sent
 * (`echoes`) is removed from the message before looking.
 */
export function stackTraceIn(message: string, echoes: readonly string[] = []): RegExp | undefined {
  let rest = message;
  for (const echo of [...echoes, ...echoes.map((e) => e.slice(0, 64))]) {
    if (echo.length > 0) rest = rest.split(echo).join('');
  }
  return STACK_SIGNS.find((sign) => sign.test(rest));
}

/**
 * The checks that hold for every answer: never 5xx, and every error is
 * {"error": {"code": string, "message": string}} in JSON, nothing more, and no stack trace.
 * Throws a Violation when one fails.
 */
export function judge(sent: Sent, reply: Reply, echoes: readonly string[] = [], hidden?: Iterable<string>): void {
  insist(reply.status < 500, `a ${reply.status} answer`, sent, reply, hidden);
  if (reply.status < 400 || sent.method === 'HEAD') return;
  const type = String(reply.headers.get('content-type') ?? '');
  insist(/^application\/json\b/.test(type), 'an error that is not JSON', sent, reply, hidden);
  let body: unknown;
  try {
    body = JSON.parse(reply.text);
  } catch {
    insist(false, 'an error body that does not parse as JSON', sent, reply, hidden);
  }
  const error = (body as { error?: unknown })?.error as Record<string, unknown> | undefined;
  insist(
    body !== null &&
      typeof body === 'object' &&
      Object.keys(body).join() === 'error' &&
      error !== null &&
      typeof error === 'object' &&
      Object.keys(error).sort().join() === 'code,message' &&
      typeof error.code === 'string' &&
      /^[A-Z_]+$/.test(error.code) &&
      typeof error.message === 'string',
    'an error not in the shape {"error": {"code", "message"}}',
    sent,
    reply,
    hidden,
  );
  // The shape check above already rules out other fields: the message and the code are all to look at.
  const sign = stackTraceIn(error.message as string, echoes) ?? stackTraceIn(error.code as string);
  insist(sign === undefined, `a stack trace or file path in an error (${sign})`, sent, reply, hidden);
}

/** The error code of an answer, when it has one. */
export function codeOf(reply: Reply): string | undefined {
  try {
    return (JSON.parse(reply.text) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// What the contract says a request should get, for the routes where the test can tell.

/** The status (and code) the contract asks for; for a 2xx, the change it makes to the cart. */
export type Outcome = { status: number; code?: string; applied?: (model: Map<string, number>) => void };

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const isQuantity = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min;
const hasOnlyKeys = (value: Record<string, unknown>, allowed: string[]) =>
  Object.keys(value).every((key) => allowed.includes(key));

/** Checks every request makes of a body before any route runs: size, then JSON (objects and arrays only). */
export function bodyGate(wire: string | undefined): Outcome | undefined {
  if (wire === undefined) return undefined;
  if (Buffer.byteLength(wire) > MAX_BODY_BYTES) return { status: 413, code: 'PAYLOAD_TOO_LARGE' };
  if (!/^\s*[[{]/.test(wire)) return { status: 400, code: 'INVALID_BODY' };
  return undefined;
}

/** POST /Cart/Item: {"id": string, "quantity"?: int >= 1}; unknown item 404; over the line limit 422. */
export function addOutcome(wire: string | undefined, model: ReadonlyMap<string, number>): Outcome {
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
export function setOutcome(id: string, wire: string | undefined): Outcome {
  const gate = bodyGate(wire);
  if (gate) return gate;
  // An empty id leaves "/Cart/Item/", which is POST /Cart/Item's path (a trailing slash is allowed).
  if (id === '') return { status: 405, code: 'METHOD_NOT_ALLOWED' };
  if (!ITEM_ID_PATTERN.test(id) || !findItem(id)) return { status: 404, code: 'ITEM_NOT_FOUND' };
  const body: unknown = wire === undefined ? undefined : JSON.parse(wire);
  if (!isPlainObject(body) || !hasOnlyKeys(body, ['quantity']) || !isQuantity(body.quantity, 0)) {
    return { status: 400, code: 'INVALID_BODY' };
  }
  const quantity = body.quantity;
  if (quantity > MAX_QUANTITY) return { status: 422, code: 'CART_LIMIT' };
  return { status: 200, applied: (m) => (quantity === 0 ? m.delete(id) : m.set(id, quantity)) };
}

/** DELETE /Cart/Item/:id: any well-formed id is 200 (absent or not in the catalog included); else 404. */
export function deleteOutcome(id: string): Outcome {
  if (id === '') return { status: 405, code: 'METHOD_NOT_ALLOWED' };
  if (!ITEM_ID_PATTERN.test(id)) return { status: 404, code: 'ITEM_NOT_FOUND' };
  return { status: 200, applied: (m) => m.delete(id) };
}

/**
 * An Idempotency-Key of 1 to 255 printable ASCII characters, as the service sees it: Node trims
 * spaces and tabs around a header value.
 */
export function wellFormedKey(key: string): boolean {
  return /^[\x20-\x7e]{1,255}$/.test(key.replace(/^[ \t]+|[ \t]+$/g, ''));
}

/** PATCH /Cart/checkout, for a non-empty cart (the test's shopper always has one). */
export function checkoutOutcome(wire: string | undefined, key: string | undefined): Outcome {
  const gate = bodyGate(wire);
  if (gate) return gate;
  if (key !== undefined && !wellFormedKey(key)) return { status: 400, code: 'INVALID_BODY' };
  const body: unknown = wire === undefined ? undefined : JSON.parse(wire);
  if (
    !isPlainObject(body) ||
    !hasOnlyKeys(body, ['payment']) ||
    !isPlainObject(body.payment) ||
    !hasOnlyKeys(body.payment, ['token'])
  ) {
    return { status: 400, code: 'INVALID_BODY' };
  }
  const token = body.payment.token;
  if (typeof token !== 'string' || token.length < 1 || token.length > 255) return { status: 400, code: 'INVALID_BODY' };
  if (token === 'tok_declined') return { status: 402, code: 'PAYMENT_DECLINED' };
  return { status: 200, applied: (m) => m.clear() };
}

/**
 * Whether a request carrying these Authorization and Cookie headers is the shopper with `token`:
 * Authorization wins when sent; "Bearer <token>" (scheme in any case) is its only form. 'either'
 * where the contract does not say.
 */
export function authenticates(
  auth: string | undefined,
  cookieHeader: string | undefined,
  token: string,
): boolean | 'either' {
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

/**
 * A path near the gateway's limit on the request line and headers (16 KiB) may be answered 431
 * instead. (The services take more, so the headers the gateway adds never push a request over.)
 */
export function tooLongForHeaders(path: string): boolean {
  return path.length > MAX_HEADER_BYTES - 400;
}
