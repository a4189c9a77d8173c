// Hostile input, end to end (see harness.ts): hostile ids in paths (cart lines and catalog items),
// raw unencoded segments, and any path with any method. Never a 5xx, errors in the contract's shape
// without a stack trace, and a refused request leaves the cart as it was.
import fc from 'fast-check';
import { ITEM_ID_PATTERN, findItem } from '@storefront/catalog';
import { RUNS, anyBody, anyMethod, anyPath, catalogId, hostileId, rawSegment, setBody } from './arbitraries';
import { codeOf, deleteOutcome, setOutcome, tooLongForHeaders } from './contract-oracle';
import { bearer, encodeSegment, insist, jsonRequest, useHostileStorefront, type Sent } from './harness';

const { newShopper, hostile } = useHostileStorefront();

describe('cart lines addressed by hostile path segments', () => {
  it('PUT /Cart/Item/:id: 404 for anything not a catalog id, the contract for the rest, never 5xx', async () => {
    const shopper = await newShopper();
    const lineId = fc.oneof({ arbitrary: catalogId, weight: 1 }, { arbitrary: hostileId, weight: 2 });
    await fc.assert(
      fc.asyncProperty(lineId, setBody, async (id, body) => {
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
        const path = `/Cart/Item/${encodeSegment(id)}`;
        const sent: Sent = { method: 'DELETE', path, headers: bearer(shopper.token) };
        const outcome = deleteOutcome(id);
        const expected = tooLongForHeaders(sent.path) ? { status: [outcome.status, 431] } : outcome;
        await hostile(shopper, sent, { echoes: [id], expected, applied: outcome.applied });
      }),
      RUNS,
    );
  });

  it(
    'raw, unencoded segments (broken %-escapes, dots, ' + 'reserved characters) are 4xx and leave the cart alone',
    async () => {
      const shopper = await newShopper();
      const method = fc.constantFrom('PUT', 'DELETE', 'GET');
      await fc.assert(
        fc.asyncProperty(method, rawSegment, async (verb, segment) => {
          const path = `${verb === 'GET' ? '/Items/' : '/Cart/Item/'}${segment}`;
          const sent: Sent =
            verb === 'PUT'
              ? jsonRequest(verb, path, shopper.token, { quantity: 4 })
              : { method: verb, path, headers: bearer(shopper.token) };
          let decoded: string | undefined;
          try {
            decoded = decodeURIComponent(segment.replace(/[?#].*$/, ''));
          } catch {
            decoded = undefined;
          }
          const reply = await hostile(shopper, sent, { echoes: [segment, decoded ?? ''] });
          // Bytes past ASCII in a request target: Node's parser refuses the request, and the answer is
          // still the contract's JSON (DECISIONS.md "Operations").
          if (/[^\p{ASCII}]/u.test(segment)) {
            insist(
              reply.status === 400 && codeOf(reply) === 'INVALID_BODY',
              'a non-ASCII request target should be refused with 400 INVALID_BODY',
              sent,
              reply,
            );
            return;
          }
          // A broken %-escape in an item path is an unknown item (DECISIONS.md), not a crash.
          if (decoded === undefined) {
            insist(
              reply.status === 404 && codeOf(reply) === 'ITEM_NOT_FOUND',
              'a broken %-escape in an item id should be 404 ITEM_NOT_FOUND',
              sent,
              reply,
            );
          }
          // Only a well-formed id may succeed; anything else in the id position is a 4xx.
          if (reply.status < 400 && !segment.includes('?') && !segment.includes('#')) {
            insist(decoded !== undefined && ITEM_ID_PATTERN.test(decoded), 'a malformed id was accepted', sent, reply);
          }
        }),
        RUNS,
      );
    },
  );
});

describe('GET /Items/:id with hostile ids', () => {
  it(
    'is 200 with the item for catalog ids and 404 ITEM_NOT_FOUND ' + 'for anything else, with or without a session',
    async () => {
      const shopper = await newShopper();
      await fc.assert(
        fc.asyncProperty(hostileId, fc.boolean(), async (id, signedIn) => {
          const headers = signedIn ? bearer(shopper.token) : {};
          const sent: Sent = { method: 'GET', path: `/Items/${encodeSegment(id)}`, headers };
          const known = ITEM_ID_PATTERN.test(id) && findItem(id) !== undefined;
          // An empty id leaves "/Items/": the whole catalog (a trailing slash is allowed).
          const outcome = known || id === '' ? { status: 200 } : { status: 404, code: 'ITEM_NOT_FOUND' };
          const expected = tooLongForHeaders(sent.path) ? { status: [outcome.status, 431] } : outcome;
          const reply = await hostile(shopper, sent, { echoes: [id], expected, applied: () => undefined });
          if (reply.status === 200 && id !== '') {
            const item = (JSON.parse(reply.text) as { item: { id: string } }).item;
            insist(item.id === id, 'the wrong item', sent, reply);
          }
        }),
        RUNS,
      );
    },
  );
});

describe('any path, any method', () => {
  it('never answers 5xx, errors are JSON without stack traces, and a 4xx leaves the cart alone', async () => {
    const shopper = await newShopper();
    await fc.assert(
      fc.asyncProperty(anyMethod, anyPath, anyBody, fc.boolean(), async (verb, target, payload, signedIn) => {
        // A HEAD whose request line Node's parser refuses is the subject of a test of its own
        // (transport.spec.ts).
        fc.pre(!(verb === 'HEAD' && /[^\p{ASCII}]/u.test(target)));
        const sent = jsonRequest(verb, target, signedIn ? shopper.token : undefined, payload);
        let decoded = target;
        try {
          decoded = decodeURIComponent(target);
        } catch {
          // keep it raw
        }
        const reply = await hostile(shopper, sent, {
          echoes: [target, decoded, ...target.split('/'), ...decoded.split('/')],
        });
        // The cart is not for strangers: without a session, anything under /Cart is 401, unknown
        // paths included (DECISIONS.md), once Node's parser has accepted the request.
        const parsable = verb !== 'FOO' && !/[^\p{ASCII}]/u.test(target);
        if (!signedIn && parsable && /^\/cart(\/|\?|$)/i.test(target)) {
          insist(reply.status === 401, 'a /Cart… route without a session should be 401', sent, reply);
        }
      }),
      { ...RUNS, numRuns: 100 },
    );
  });
});
