// The oracle that judges the hostile-input properties, checked against docs/CONTRACT.md by hand: a
// mistake here would let a property pass on a wrong answer, or fail on a right one.
import {
  MAX_BODY_BYTES,
  MAX_HEADER_BYTES,
  Violation,
  account,
  addOutcome,
  authenticates,
  bodyGate,
  checkoutOutcome,
  codeOf,
  deleteOutcome,
  insist,
  judge,
  setOutcome,
  stackTraceIn,
  tooLongForHeaders,
  wellFormedKey,
  type Outcome,
  type Reply,
  type Sent,
} from './contract-oracle';

const post: Sent = { method: 'POST', path: '/Cart/Item', headers: {} };

function reply(status: number, body: unknown, type = 'application/json; charset=utf-8'): Reply {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, headers: new Headers({ 'content-type': type }), text, ms: 1 };
}

function error(code: string, message: string): unknown {
  return { error: { code, message } };
}

// The answers the contract names for a refusal.
const INVALID_BODY = { status: 400, code: 'INVALID_BODY' };
const ITEM_NOT_FOUND = { status: 404, code: 'ITEM_NOT_FOUND' };
const METHOD_NOT_ALLOWED = { status: 405, code: 'METHOD_NOT_ALLOWED' };
const PAYLOAD_TOO_LARGE = { status: 413, code: 'PAYLOAD_TOO_LARGE' };
const CART_LIMIT = { status: 422, code: 'CART_LIMIT' };

/** The status and code of an outcome, without its effect (a function, which toEqual cannot compare). */
function answer(outcome: Outcome | undefined): { status: number; code?: string } | undefined {
  return outcome && { status: outcome.status, ...(outcome.code === undefined ? {} : { code: outcome.code }) };
}

/** The cart after an outcome's effect on `cart`. */
function applied(outcome: Outcome, cart: Array<[string, number]>): Array<[string, number]> {
  const model = new Map(cart);
  outcome.applied?.(model);
  return [...model.entries()];
}

describe('the body gate', () => {
  it('refuses a body over 16 KiB, counted in bytes, with 413 PAYLOAD_TOO_LARGE', () => {
    expect(answer(bodyGate(`[${' '.repeat(MAX_BODY_BYTES - 2)}]`))).toBeUndefined();
    expect(answer(bodyGate(`[${' '.repeat(MAX_BODY_BYTES - 1)}]`))).toEqual(PAYLOAD_TOO_LARGE);
    // 8,193 characters, 16,386 bytes.
    expect(answer(bodyGate(`"${'é'.repeat(8_193)}"`))).toEqual(PAYLOAD_TOO_LARGE);
  });

  it('refuses a body that is not a JSON object or array with 400 INVALID_BODY', () => {
    for (const wire of ['"badger-mug"', '42', 'null', 'true', '', 'id=badger-mug']) {
      expect(answer(bodyGate(wire))).toEqual(INVALID_BODY);
    }
    for (const wire of [undefined, '{}', '[]', ' \n{"id":1}']) expect(bodyGate(wire)).toBeUndefined();
  });
});

describe('POST /Cart/Item', () => {
  const empty = new Map<string, number>();

  it('is 400 INVALID_BODY for a body that is not {"id": catalog-shaped id, "quantity"?: int >= 1}', () => {
    const bodies = [
      '"badger-mug"',
      '[{"id":"badger-mug"}]',
      '{}',
      '{"id":"badger-mug","price":1}',
      '{"id":"badger mug"}',
      `{"id":"${'a'.repeat(65)}"}`,
      '{"id":7}',
      '{"id":"badger-mug","quantity":0}',
      '{"id":"badger-mug","quantity":1.5}',
      '{"id":"badger-mug","quantity":"1"}',
      '{"id":"badger-mug","quantity":null}',
    ];
    expect(bodies.map((wire) => answer(addOutcome(wire, empty)))).toEqual(bodies.map(() => INVALID_BODY));
  });

  it('is 404 ITEM_NOT_FOUND for a well-formed id that is not in the catalog', () => {
    expect(answer(addOutcome('{"id":"badger-unicorn"}', empty))).toEqual(ITEM_NOT_FOUND);
  });

  it('is 422 CART_LIMIT past 99 of a line, counting what the cart holds, and 201 up to it', () => {
    const cart = new Map([['badger-mug', 98]]);
    expect(answer(addOutcome('{"id":"badger-mug","quantity":2}', cart))).toEqual(CART_LIMIT);
    expect(answer(addOutcome('{"id":"badger-mug","quantity":100}', empty))).toEqual(CART_LIMIT);
    const outcome = addOutcome('{"id":"badger-mug"}', cart);
    expect(answer(outcome)).toEqual({ status: 201 });
    expect(applied(outcome, [['badger-mug', 98]])).toEqual([['badger-mug', 99]]);
  });

  it('adds the quantity (1 by default) to the line, or creates it', () => {
    const three = addOutcome('{"id":"badger-tee","quantity":3}', empty);
    expect(applied(three, [['badger-tee', 2]])).toEqual([['badger-tee', 5]]);
    expect(applied(addOutcome('{"id":"badger-tee"}', empty), [])).toEqual([['badger-tee', 1]]);
  });

  it('checks the size before anything else', () => {
    const wire = `{"id":"badger-unicorn","pad":"${'a'.repeat(MAX_BODY_BYTES)}"}`;
    expect(answer(addOutcome(wire, empty))).toEqual(PAYLOAD_TOO_LARGE);
  });
});

describe('PUT /Cart/Item/:id', () => {
  it('judges the id before the body: 404 ITEM_NOT_FOUND for an id not in the catalog, or malformed', () => {
    for (const id of ['badger-unicorn', '..', 'badger mug', 'a'.repeat(65)]) {
      expect([id, answer(setOutcome(id, '{"quantity":"x"}'))]).toEqual([id, ITEM_NOT_FOUND]);
    }
  });

  it("is 405 METHOD_NOT_ALLOWED for an empty id, which leaves POST /Cart/Item's path", () => {
    expect(answer(setOutcome('', '{"quantity":1}'))).toEqual(METHOD_NOT_ALLOWED);
  });

  it('is 400 INVALID_BODY unless the body is {"quantity": int >= 0}', () => {
    const bodies = [undefined, '{}', '{"quantity":-1}', '{"quantity":2.5}', '{"quantity":1,"id":"badger-mug"}', '[2]'];
    expect(bodies.map((wire) => answer(setOutcome('badger-mug', wire)))).toEqual(bodies.map(() => INVALID_BODY));
  });

  it('is 422 CART_LIMIT above 99; sets the line up to it, and 0 removes it', () => {
    expect(answer(setOutcome('badger-mug', '{"quantity":100}'))).toEqual(CART_LIMIT);
    const most = setOutcome('badger-mug', '{"quantity":99}');
    expect(answer(most)).toEqual({ status: 200 });
    expect(applied(most, [['badger-mug', 2]])).toEqual([['badger-mug', 99]]);
    const none = setOutcome('badger-mug', '{"quantity":0}');
    expect(
      applied(none, [
        ['badger-mug', 2],
        ['badger-tee', 3],
      ]),
    ).toEqual([['badger-tee', 3]]);
  });
});

describe('DELETE /Cart/Item/:id', () => {
  it('is 200 for any well-formed id, in the catalog or not, and removes the line', () => {
    const outcome = deleteOutcome('badger-unicorn');
    expect(answer(outcome)).toEqual({ status: 200 });
    expect(
      applied(deleteOutcome('badger-mug'), [
        ['badger-mug', 2],
        ['badger-tee', 3],
      ]),
    ).toEqual([['badger-tee', 3]]);
  });

  it('is 404 ITEM_NOT_FOUND for a malformed id, 405 for an empty one', () => {
    for (const id of ['..', 'badger mug', 'a'.repeat(65), 'badger-mug\u0000']) {
      expect(answer(deleteOutcome(id))).toEqual(ITEM_NOT_FOUND);
    }
    expect(answer(deleteOutcome(''))).toEqual(METHOD_NOT_ALLOWED);
  });
});

describe('PATCH /Cart/checkout', () => {
  it('is 402 PAYMENT_DECLINED for tok_declined, 200 emptying the cart for any other token of 1 to 255 chars', () => {
    const declined = checkoutOutcome('{"payment":{"token":"tok_declined"}}', undefined);
    expect(answer(declined)).toEqual({ status: 402, code: 'PAYMENT_DECLINED' });
    const placed = checkoutOutcome(`{"payment":{"token":"${'x'.repeat(255)}"}}`, 'order-1');
    expect(answer(placed)).toEqual({ status: 200 });
    expect(applied(placed, [['badger-mug', 2]])).toEqual([]);
  });

  it('is 400 INVALID_BODY for a missing or malformed payment', () => {
    const bodies = [
      undefined,
      '{}',
      '{"payment":"tok_visa"}',
      '{"payment":{}}',
      '{"payment":{"token":""}}',
      `{"payment":{"token":"${'x'.repeat(256)}"}}`,
      '{"payment":{"token":1}}',
      '{"payment":{"token":"tok_visa","cvc":"123"}}',
      '{"payment":{"token":"tok_visa"},"total":1}',
    ];
    expect(bodies.map((wire) => answer(checkoutOutcome(wire, undefined)))).toEqual(bodies.map(() => INVALID_BODY));
  });

  it('is 400 INVALID_BODY for a malformed Idempotency-Key, once the body has passed the gate', () => {
    const body = '{"payment":{"token":"tok_visa"}}';
    for (const key of ['', ' \t', 'a'.repeat(256), '\u00e9t\u00e9']) {
      expect(answer(checkoutOutcome(body, key))).toEqual(INVALID_BODY);
    }
    expect(answer(checkoutOutcome('7', 'a'.repeat(256)))).toEqual(INVALID_BODY);
    expect(answer(checkoutOutcome(`[${' '.repeat(MAX_BODY_BYTES)}]`, ''))).toEqual(PAYLOAD_TOO_LARGE);
  });

  it('reads an Idempotency-Key as Node does, spaces and tabs around it trimmed', () => {
    expect(wellFormedKey(' order-1\t')).toBe(true);
    expect(wellFormedKey('a'.repeat(255))).toBe(true);
    expect(wellFormedKey(`  ${'a'.repeat(255)}  `)).toBe(true);
    expect(wellFormedKey('a'.repeat(256))).toBe(false);
    expect(wellFormedKey(' ')).toBe(false);
  });
});

describe('who a request is', () => {
  const token = 'T0kenT0kenT0kenT0kenT0kenT0kenT0kenT0kenT0k';

  it('takes "Bearer <token>" with the scheme in any case, and nothing else, from Authorization', () => {
    expect(authenticates(`Bearer ${token}`, undefined, token)).toBe(true);
    expect(authenticates(`bEARER   ${token} `, undefined, token)).toBe(true);
    expect(authenticates(`Bearer ${token.toLowerCase()}`, undefined, token)).toBe(false);
    expect(authenticates(`Basic ${token}`, undefined, token)).toBe(false);
    expect(authenticates(token, undefined, token)).toBe(false);
    expect(authenticates(`Bearer ${token}\u00a0`, undefined, token)).toBe('either');
  });

  it('lets Authorization win over a valid cookie', () => {
    expect(authenticates('Bearer nope', `sid=${token}`, token)).toBe(false);
  });

  it('takes the sid cookie, and says "either" where the contract is silent', () => {
    expect(authenticates(undefined, `theme=dark; sid=${token}`, token)).toBe(true);
    expect(authenticates(undefined, ` sid = ${token} `, token)).toBe(true);
    expect(authenticates(undefined, `SID=${token}`, token)).toBe(false);
    expect(authenticates(undefined, undefined, token)).toBe(false);
    expect(authenticates(undefined, `sid="${token}"`, token)).toBe('either');
    expect(authenticates(undefined, `sid=${token}; sid=other`, token)).toBe('either');
  });
});

describe('a path near the header limit', () => {
  it('may be answered 431 once it is within 400 bytes of 16 KiB', () => {
    expect(tooLongForHeaders(`/${'a'.repeat(MAX_HEADER_BYTES - 401)}`)).toBe(false);
    expect(tooLongForHeaders(`/${'a'.repeat(MAX_HEADER_BYTES - 400)}`)).toBe(true);
  });
});

describe('stack traces in error messages', () => {
  it('are found: frames, file names and node_modules', () => {
    expect(stackTraceIn('boom\n    at handler (/srv/app/main.js:10:5)')).toBeDefined();
    expect(stackTraceIn('failed at Object.parse (native:1:2)')).toBeDefined();
    expect(stackTraceIn('in src/server.ts: unexpected')).toBeDefined();
    expect(stackTraceIn('main.js:12 threw')).toBeDefined();
    expect(stackTraceIn('Cannot find module in node_modules')).toBeDefined();
  });

  it('are not confused with a message that has none', () => {
    expect(stackTraceIn('Item "badger-unicorn" was not found')).toBeUndefined();
    expect(stackTraceIn('The body is not valid JSON (at position 3)')).toBeUndefined();
  });

  it('are not confused with what the client sent, echoed whole or cut to 64 characters', () => {
    const id = `${'a'.repeat(58)}x.ts:1zzzz`;
    const message = `No item "${id.slice(0, 64)}"`;
    expect(stackTraceIn(message)).toBeDefined();
    expect(stackTraceIn(message, [id])).toBeUndefined();
    expect(stackTraceIn(`No item "${id}" here`, [id])).toBeUndefined();
  });
});

describe('the checks every answer must pass', () => {
  it('refuse a 5xx', () => {
    expect(() => judge(post, reply(500, error('INTERNAL', 'Something went wrong')))).toThrow(Violation);
    expect(() => judge(post, reply(503, error('CART_UNAVAILABLE', 'Try again')))).toThrow(/a 503 answer/);
  });

  it("take an error in the contract's shape, and any success", () => {
    expect(() => judge(post, reply(404, error('ITEM_NOT_FOUND', 'No item "x"')))).not.toThrow();
    expect(() => judge(post, reply(201, 'not even JSON', 'text/plain'))).not.toThrow();
  });

  it('refuse an error that is not JSON, or not in the shape {"error": {"code", "message"}}', () => {
    expect(() => judge(post, reply(404, '<h1>Not Found</h1>', 'text/html'))).toThrow(/not JSON/);
    expect(() => judge(post, reply(400, '{"error":', 'application/json'))).toThrow(/does not parse/);
    const shapes = [
      { error: 'INVALID_BODY' },
      { error: { code: 'INVALID_BODY' } },
      { error: { code: 'invalid_body', message: 'x' } },
      { error: { code: 'INVALID_BODY', message: 'x', stack: 'y' } },
      { error: { code: 'INVALID_BODY', message: 'x' }, requestId: 'r' },
      { message: 'x' },
    ];
    for (const body of shapes) expect(() => judge(post, reply(400, body))).toThrow(/shape/);
  });

  it("refuse a stack trace in an error, but not an echo of the client's own input", () => {
    const traced = error('INVALID_BODY', 'Unexpected token\n    at JSON.parse (<anonymous>)');
    expect(() => judge(post, reply(400, traced))).toThrow(/stack trace/);
    const echoed = reply(404, error('ITEM_NOT_FOUND', 'No item "x.ts:3"'));
    expect(() => judge(post, echoed)).toThrow(/stack trace/);
    expect(() => judge(post, echoed, ['x.ts:3'])).not.toThrow();
  });

  it('take an answer to HEAD without a body', () => {
    expect(() => judge({ ...post, method: 'HEAD' }, reply(400, '', ''))).not.toThrow();
    expect(() => judge({ ...post, method: 'GET' }, reply(400, '', ''))).toThrow(/not JSON/);
  });

  it('read the error code of an answer', () => {
    expect(codeOf(reply(422, error('CART_LIMIT', 'Too many')))).toBe('CART_LIMIT');
    expect(codeOf(reply(200, { cart: [] }))).toBeUndefined();
    expect(codeOf(reply(502, 'Bad Gateway', 'text/plain'))).toBeUndefined();
  });
});

describe('failure messages', () => {
  const token = 'secret-session-token';
  const sent: Sent = { method: 'GET', path: '/Cart/\u0085', headers: { authorization: `Bearer ${token}` } };

  it('show a session token as <token>, in the request and in the answer', () => {
    const text = account(sent, reply(401, error('UNAUTHENTICATED', `not ${token}`)), [token]);
    expect(text).not.toContain(token);
    expect(text.match(/<token>/g)).toHaveLength(2);
  });

  it('show invisible characters escaped', () => {
    expect(account(sent)).toContain('\\u0085');
  });

  it('are thrown by insist as a Violation, with the reason and the request', () => {
    expect(() => insist(true, 'fine', sent)).not.toThrow();
    expect(() => insist(false, 'the cart changed', sent, undefined, [token])).toThrow(
      new Violation('the cart changed\n  GET "/Cart/\\u0085" headers={"authorization":"Bearer <token>"}'),
    );
  });
});
