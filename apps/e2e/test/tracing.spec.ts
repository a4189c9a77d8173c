// Traces across the built processes: one add to the cart through the gateway is one trace that spans
// the gateway, inventory and Redis, and no span carries the session token or the identity hand-off.
// (The SDK patches modules as Node loads them, which Jest's module system does not do: hence processes.)
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRACES_FILE_ENV, type SpanRecord } from '@storefront/observability';
import { IDENTITY_HEADER } from '@storefront/service-kit';
import { TEST_SECRET, testRedisEnv, uniquePrefix, waitFor } from '@storefront/test-kit';
import { call, newSession } from '../support/http';
import { startStorefrontProcesses, type StorefrontProcesses } from '../support/storefront-processes';

const SERVER = 1;
const CLIENT = 2;

let dir: string;
let spansFile: string;
let store: StorefrontProcesses;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'storefront-traces-'));
  spansFile = join(dir, 'spans.jsonl');
  store = await startStorefrontProcesses({
    redisEnv: testRedisEnv(),
    secret: TEST_SECRET,
    prefix: uniquePrefix('traces'),
    env: { [TRACES_FILE_ENV]: spansFile },
    listenTimeoutMs: 45_000,
  });
}, 60_000);
afterAll(async () => {
  await store?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const spans = (): SpanRecord[] =>
  existsSync(spansFile)
    ? readFileSync(spansFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as SpanRecord)
    : [];

it('one add to the cart is one trace across gateway, inventory and Redis, with no token in it', async () => {
  const token = await newSession(store.gateway.url);
  const requestId = `trace-${Date.now()}`;
  const added = await call(store.gateway.url, 'POST', '/Cart/Item', {
    token,
    body: { id: 'badger-plush' },
    headers: { 'X-Request-Id': requestId },
  });
  expect(added.status).toBe(201);

  // Spans are written as they end; the gateway's own ends once its answer is out.
  const isEntry = (span: SpanRecord) =>
    span.service === 'gateway' && span.kind === SERVER && span.attributes['storefront.request_id'] === requestId;
  await waitFor(() => spans().some(isEntry));
  const entry = spans().find(isEntry) as SpanRecord;
  expect(entry.attributes['http.route']).toBe('/Cart');
  const inTrace = () => spans().filter((span) => span.traceId === entry.traceId);
  await waitFor(() => inTrace().some((span) => span.service === 'inventory' && /^eval/.test(span.name)));
  const trace = inTrace();

  const inventoryEntry = trace.find((span) => span.service === 'inventory' && span.kind === SERVER);
  expect(inventoryEntry?.attributes['storefront.request_id']).toBe(requestId);
  expect(inventoryEntry?.attributes['http.route']).toBe('/Cart/Item');
  // The service's span is a child of the gateway's call to it: the traceparent was passed on.
  const forwarded = trace.find((span) => span.spanId === inventoryEntry?.parentSpanId);
  expect(forwarded).toMatchObject({ service: 'gateway', kind: CLIENT });
  // Redis from both sides: the gateway's session check and inventory's add script.
  const redisSpans = trace.filter((span) => span.attributes['db.system.name'] === 'redis');
  expect(redisSpans.map((span) => span.service)).toEqual(expect.arrayContaining(['gateway', 'inventory']));
  expect(redisSpans.every((span) => /^(eval|evalsha)$/.test(span.name))).toBe(true);

  const everything = JSON.stringify(spans());
  expect(everything).not.toContain(token);
  expect(everything.toLowerCase()).not.toContain(IDENTITY_HEADER);
  expect(everything).not.toMatch(/"v1\.[A-Za-z0-9_-]+\.\d+\./); // the shape of a signed hand-off
  expect(everything).not.toMatch(/badger-plush/); // script arguments stay out: only command names
});
