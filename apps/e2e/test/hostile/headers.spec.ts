// Hostile input, end to end (see harness.ts): hostile credentials (Authorization, Cookie), request
// ids, identity and forwarding headers. Never a 5xx, nobody becomes someone else, no token echoed,
// and a refused request leaves the cart as it was.
import fc from 'fast-check';
import { freshShopper, gatewayIdentity } from '@storefront/test-kit';
import { RUNS } from './arbitraries';
import {
  SIGNED_FOR_SOMEONE_ELSE,
  authorization,
  cookie,
  forwarded,
  identity,
  requestId,
  withToken,
} from './header-arbitraries';
import { authenticates, codeOf } from './contract-oracle';
import { insist, jsonRequest, useHostileStorefront } from './harness';

const { newShopper, hostile } = useHostileStorefront();

/** What a POST /Cart/Item of {"id": "badger-socks"} does to the cart. */
const addSocks = (m: Map<string, number>) => m.set('badger-socks', (m.get('badger-socks') ?? 0) + 1);

describe('hostile Authorization and Cookie headers', () => {
  const route = fc.constantFrom(
    { method: 'GET', path: '/Cart', body: undefined },
    { method: 'POST', path: '/Cart/Item', body: { id: 'badger-socks' } },
    { method: 'DELETE', path: '/Cart/Item/badger-mug', body: undefined },
    { method: 'PATCH', path: '/Cart/checkout', body: { payment: { token: 'tok_declined' } } },
    { method: 'GET', path: '/Cart/nowhere', body: undefined },
    { method: 'GET', path: '/Items', body: undefined },
  );

  it(
    'an unknown, damaged or misplaced token is 401 on /Cart… ' + '(never 5xx, never echoed), the catalog stays public',
    async () => {
      const shopper = await newShopper();
      await fc.assert(
        fc.asyncProperty(route, authorization, cookie, async ({ method, path, body }, auth, cookies) => {
          const authValue = auth === undefined ? undefined : withToken(auth, shopper.token);
          const cookieValue = cookies === undefined ? undefined : withToken(cookies, shopper.token);
          const sent = jsonRequest(method, path, undefined, body);
          if (authValue !== undefined) sent.headers.authorization = authValue;
          if (cookieValue !== undefined) sent.headers.cookie = cookieValue;
          const valid = authenticates(authValue, cookieValue, shopper.token);
          const reply = await hostile(shopper, sent, {
            applied:
              method === 'POST' ? addSocks : method === 'DELETE' ? (m) => m.delete('badger-mug') : () => undefined,
          });
          if (path === '/Items') {
            const why = 'the catalog is public: GET /Items must not care about credentials';
            insist(reply.status === 200, why, sent, reply);
          } else if (valid === false) {
            insist(
              reply.status === 401 && codeOf(reply) === 'UNAUTHENTICATED',
              'a request without a valid token should be 401 UNAUTHENTICATED',
              sent,
              reply,
            );
          } else if (valid === true) {
            insist(reply.status !== 401, 'a valid token was refused', sent, reply);
          }
          // No raw token ever appears in an answer's body (CONTRACT.md "Identity").
          insist(!reply.text.includes(shopper.token), 'the session token appears in the answer', sent, reply);
        }),
        { ...RUNS, numRuns: 100 },
      );
    },
  );
});

describe('hostile request ids, identity and forwarding headers', () => {
  const route = fc.constantFrom(
    { method: 'GET', path: '/Cart', body: undefined },
    { method: 'POST', path: '/Cart/Item', body: { id: 'badger-socks' } },
  );
  /** What X-Request-Id may hold: 1 to 128 visible ASCII characters. */
  const wellFormedRequestId = /^[\x21-\x7e]{1,128}$/;

  it(
    'never 5xx; another identity is never taken from the client; ' +
      'a valid X-Request-Id comes back, any other is replaced',
    async () => {
      const shopper = await newShopper();
      await fc.assert(
        fc.asyncProperty(
          route,
          fc.boolean(),
          requestId,
          identity,
          forwarded,
          async ({ method, path, body }, signedIn, id, forged, via) => {
            const sent = jsonRequest(method, path, signedIn ? shopper.token : undefined, body);
            if (id !== undefined) sent.headers['x-request-id'] = id;
            if (forged !== undefined) {
              sent.headers['x-storefront-identity'] =
                forged === SIGNED_FOR_SOMEONE_ELSE
                  ? gatewayIdentity(freshShopper(), method, path)['x-storefront-identity']
                  : forged;
            }
            if (via !== undefined) {
              sent.headers['x-forwarded-for'] = via;
              sent.headers.forwarded = via;
            }
            const reply = await hostile(shopper, sent, {
              // With a session the request is the shopper's own, whatever identity it claims; without one, 401.
              expected: signedIn
                ? { status: method === 'POST' ? [201, 422] : 200 }
                : { status: 401, code: 'UNAUTHENTICATED' },
              applied: method === 'POST' ? addSocks : () => undefined,
            });
            const echoed = reply.headers.get('x-request-id');
            const given = id?.replace(/^[ \t]+|[ \t]+$/g, '');
            const wellFormed = typeof echoed === 'string' && wellFormedRequestId.test(echoed);
            insist(wellFormed, 'every answer carries a well-formed X-Request-Id', sent, reply);
            if (given !== undefined && wellFormedRequestId.test(given)) {
              insist(echoed === given, 'a valid X-Request-Id should come back as sent', sent, reply);
            } else {
              insist(echoed !== given, 'an invalid X-Request-Id came back', sent, reply);
            }
          },
        ),
        RUNS,
      );
    },
  );
});
