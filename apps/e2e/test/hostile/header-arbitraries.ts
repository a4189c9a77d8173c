// The fast-check generators of the hostile-input suite for headers: values Node's client accepts,
// Idempotency-Key, Content-Type, credentials (Authorization, Cookie), request ids, identity and
// forwarding headers, from plausible to absurd.
import http from 'node:http';
import fc from 'fast-check';

/** Header values Node's http client accepts: tab, visible ASCII, space and obs-text (0x80-0xff). */
const headerChar = fc
  .oneof(
    { arbitrary: fc.integer({ min: 0x20, max: 0x7e }), weight: 8 },
    { arbitrary: fc.integer({ min: 0x80, max: 0xff }), weight: 1 },
    { arbitrary: fc.constant(0x09), weight: 1 },
  )
  .map((code) => String.fromCharCode(code));
export const headerValue = (maxLength = 40) =>
  fc.string({ unit: headerChar, maxLength }).filter((value) => {
    try {
      http.validateHeaderValue('x-check', value);
      return true;
    } catch {
      return false;
    }
  });

export const idempotencyKey = fc.option(
  fc.oneof(
    headerValue(40),
    fc.constantFrom(
      '',
      ' ',
      '\t',
      'order-1',
      ' order-1 ',
      'a'.repeat(255),
      'a'.repeat(256),
      '\u00e9t\u00e9',
      'key with spaces',
      '"quoted"',
      '*',
      '../../etc',
      '{tag}',
    ),
    fc.integer({ min: 250, max: 260 }).map((n) => 'k'.repeat(n)),
  ),
  { nil: undefined, freq: 4 },
);

export const contentType = fc.oneof(
  { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      'application/json',
      'APPLICATION/JSON',
      'application/json; charset=utf-8',
      'application/json;charset=UTF-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json; charset=utf-7',
      'application/json; charset="utf-8"',
      'application/json;;;',
      'application/json; x',
      'application/vnd.api+json',
      'application/problem+json',
      'application/json-patch+json',
      'application/jsonx',
      'text/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '*/*',
      'application/*',
      'json',
      '',
      ' ',
      'application/json, text/plain',
      'application/json\t',
      'application/ json',
    ),
    weight: 3,
  },
  { arbitrary: headerValue(60), weight: 1 },
);
/** Bodies to go with a Content-Type: JSON, not JSON, empty, none. */
export const typedBody = fc.constantFrom<string | undefined>(
  '{"id":"badger-stickers"}',
  '{"quantity":2}',
  'id=badger-stickers',
  '',
  '{"id":',
  undefined,
);

// Placeholders for the shopper's real token, so that generated headers can carry it, whole or
// damaged; withToken() puts the token in.
const REAL = '\u0001REAL\u0001';
const tokenish = fc.oneof(
  { arbitrary: fc.constant(REAL), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      `${REAL}x`,
      `x${REAL}`,
      `${REAL}${REAL}`,
      `"${REAL}"`,
      `${REAL},${REAL}`,
      `${REAL};`,
      `${REAL}=`,
      `${REAL}%20`,
    ),
    weight: 2,
  },
  { arbitrary: fc.constantFrom('TRUNCATED', 'FLIPPED', 'UPPER'), weight: 2 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), weight: 1 },
  { arbitrary: headerValue(60), weight: 1 },
);
const scheme = fc.oneof(
  { arbitrary: fc.constant('Bearer '), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      'bearer ',
      'BEARER ',
      'Bearer  ',
      'Bearer\t',
      'Bearer',
      'Basic ',
      'Token ',
      'Bearer: ',
      ' Bearer ',
      'Bearer realm=',
    ),
    weight: 3,
  },
);
/** Authorization values (with placeholders for the token), or none. */
export const authorization = fc.option(
  fc.oneof(
    fc.tuple(scheme, tokenish).map(([s, t]) => `${s}${t}`),
    headerValue(80),
  ),
  { nil: undefined, freq: 3 },
);
const cookiePair = fc.oneof(
  fc
    .tuple(fc.constantFrom('sid', 'SID', ' sid', 'sid ', 'sid2', 'xsid', ''), fc.constantFrom('=', '=='), tokenish)
    .map(([n, eq, t]) => `${n}${eq}${t}`),
  headerValue(30),
);
/** Cookie values (with placeholders for the token), or none. */
export const cookie = fc.option(
  fc
    .tuple(fc.array(cookiePair, { minLength: 1, maxLength: 3 }), fc.constantFrom('; ', ';', ' ; ', ','))
    .map(([pairs, sep]) => pairs.join(sep)),
  { nil: undefined, freq: 3 },
);

function damaged(token: string, how: string): string {
  if (how === 'TRUNCATED') return token.slice(0, -1);
  if (how === 'FLIPPED') return `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
  if (how === 'UPPER') return token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase();
  return how;
}

/** A generated Authorization or Cookie value with the shopper's token, whole or damaged, in it. */
export function withToken(value: string, token: string): string {
  return value
    .split(REAL)
    .join(token)
    .replace(/TRUNCATED|FLIPPED|UPPER/g, (how) => damaged(token, how));
}

export const requestId = fc.option(
  fc.oneof(
    headerValue(140),
    fc.constantFrom('a'.repeat(128), 'a'.repeat(129), 'req-1', ' req-1 ', 'req 1', '', '\t', 'x'.repeat(4_000)),
  ),
  { nil: undefined, freq: 4 },
);
/** Stands for a genuine gateway signature for another shopper, which only the test can make. */
export const SIGNED_FOR_SOMEONE_ELSE = 'SIGNED-FOR-SOMEONE-ELSE';
/** A client posing as the gateway: garbage, the right shape, or a genuine signature for someone else. */
export const identity = fc.option(
  fc.oneof(
    headerValue(80),
    fc.constantFrom('v1', 'v1....', 'v1.a.1.b.c', `v1.${'a'.repeat(32)}.9999999999999.${'n'.repeat(16)}.sig`),
    fc.constant(SIGNED_FOR_SOMEONE_ELSE),
  ),
  { nil: undefined, freq: 2 },
);
export const forwarded = fc.option(
  fc.oneof(headerValue(40), fc.constantFrom('127.0.0.1', 'for=10.0.0.1', '::1, 10.0.0.1')),
  { nil: undefined, freq: 2 },
);
