// The API document as a client finds it: the gateway serves the OpenAPI document (the one every answer
// of this suite is checked against) and the page that renders it.
import { buildOpenApiDocument } from '@storefront/api-contract';
import { testRedisUrl } from '@storefront/test-kit';
import { checkAgainstApiDocument, templateOf } from '../support/api-document-check';
import { call, newSession, startStorefront, type Storefront } from './storefront-harness';

let store: Storefront;

beforeAll(async () => {
  store = await startStorefront({ redisUrl: testRedisUrl() });
});
afterAll(async () => {
  await store.stop();
});

it('serves GET /openapi.json: the document the suite checks answers against', async () => {
  const answer = await call(store.gatewayUrl, 'GET', '/openapi.json');
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.text)).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
});

it('serves GET /docs, an HTML page, and the process answers GET /healthz', async () => {
  const page = await call(store.gatewayUrl, 'GET', '/docs');
  expect(page.status).toBe(200);
  expect(page.text).toContain('/docs/swagger-ui-bundle.js');
  expect((await call(store.gatewayUrl, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
});

// Every operation of the document, with a path that reaches it (a catalog id where the path takes one).
const operations = Object.entries(buildOpenApiDocument().paths).flatMap(([template, item]) =>
  Object.keys(item)
    .filter((method) => method !== 'parameters')
    .map((method) => ({ method: method.toUpperCase(), path: template.replace('{id}', 'badger-mug') })),
);

it('every route refuses too many headers, in the documented shape, before anything else', async () => {
  const token = await newSession(store.gatewayUrl);
  const headers = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`x-filler-${i}`, 'x']));
  for (const { method, path } of operations) {
    const answer = await call(store.gatewayUrl, method, path, { token, headers });
    expect({ method, path, status: answer.status }).toEqual({ method, path, status: 431 });
  }
});

it('every route taking a body refuses one over 16 KiB, or one not JSON, in the documented shape', async () => {
  const token = await newSession(store.gatewayUrl);
  for (const { method, path } of operations.filter((operation) => !['GET', 'DELETE'].includes(operation.method))) {
    const large = await call(store.gatewayUrl, method, path, { token, body: { filler: 'x'.repeat(17 * 1024) } });
    expect({ method, path, status: large.status }).toEqual({ method, path, status: 413 });
    // call() keeps a Content-Type it is given: the request says text/plain.
    const text = await call(store.gatewayUrl, method, path, {
      token,
      body: 'a',
      headers: { 'content-type': 'text/plain' },
    });
    expect({ method, path, status: text.status }).toEqual({ method, path, status: 415 });
  }
});

describe('the check of answers against the document', () => {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
    status,
    headers: new Headers({ 'content-type': 'application/json; charset=utf-8', ...headers }),
    text: JSON.stringify(body),
  });

  it('matches paths as Express does: case-insensitive, a trailing slash allowed, in absolute form too', () => {
    expect(templateOf('/cart/item/badger-mug/')).toBe('/Cart/Item/{id}');
    expect(templateOf('http://127.0.0.1/Items?x=1')).toBe('/Items');
    expect(templateOf('/Cart/Item/a/b')).toBeUndefined();
  });

  it('refuses a status the route does not list', () => {
    expect(() =>
      checkAgainstApiDocument('GET', '/Items', json(402, { error: { code: 'PAYMENT_DECLINED', message: 'x' } })),
    ).toThrow(/status 402 is not documented/);
  });

  it('refuses a body that does not match, and an error code the status does not list', () => {
    expect(() =>
      checkAgainstApiDocument('GET', '/Cart', json(200, { cart: [{ id: 'badger-mug', quantity: 0 }] })),
    ).toThrow(/quantity/);
    expect(() =>
      checkAgainstApiDocument('GET', '/Items/x', json(404, { error: { code: 'NOT_FOUND', message: 'x' } })),
    ).toThrow(/allowed values/);
  });

  it('refuses an answer without the header the document requires', () => {
    const busy = { error: { code: 'CHECKOUT_IN_PROGRESS', message: 'x' } };
    expect(() => checkAgainstApiDocument('PATCH', '/Cart/checkout', json(409, busy))).toThrow(/Retry-After is missing/);
    expect(() =>
      checkAgainstApiDocument('PUT', '/Items', json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'x' } })),
    ).toThrow(/Allow is missing/);
  });
});
