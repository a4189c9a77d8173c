// What a service does with requests that break HTTP's framing or take their time: every refusal is
// the contract's JSON with a stable code, a refusal never takes the place of an answer already due,
// and a request that does not arrive in time is answered 408 and its connection closed.
import type { Server } from 'node:http';
import type { Express } from 'express';
import { boundPort, closeServer, createLogger, createServiceApp, jsonBody, listen } from '@storefront/service-kit';
import { exchange, responsesOf, type RawResponse } from '@storefront/test-kit';

const DEADLINES = { headersMs: 400, requestMs: 1_000 };

function serviceApp(exposure: 'public' | 'internal' = 'internal'): Express {
  return createServiceApp({
    name: 'test',
    exposure,
    logger: createLogger({ name: 'test', level: 'silent' }),
    checkReady: async () => undefined,
    routes: (routes) => {
      routes.post('/echo', jsonBody(), (req, res) => {
        res.json({ body: req.body ?? null });
      });
      routes.get('/slow', async (_req, res) => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        res.json({ slow: true });
      });
    },
  });
}

let internal: Server;
let publicServer: Server;
beforeAll(async () => {
  internal = await listen(serviceApp(), 0, '127.0.0.1', DEADLINES);
  publicServer = await listen(serviceApp('public'), 0, '127.0.0.1', DEADLINES);
});
afterAll(async () => {
  await closeServer(internal);
  await closeServer(publicServer);
});

function expectRefusal(response: RawResponse | undefined, status: number, code: string): void {
  expect(response?.status).toBe(status);
  expect(response?.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(response?.body ?? 'null')).toEqual({ error: { code, message: expect.any(String) } });
}

describe('refusals of a request head, in the contract shape', () => {
  it('answers an HTTP/1.1 request without Host with a JSON 400', async () => {
    const { text } = await exchange(boundPort(internal), ['GET /healthz HTTP/1.1\r\n\r\n']);
    expectRefusal(responsesOf(text)[0], 400, 'INVALID_BODY');
  });

  it('answers an Expect other than 100-continue with a JSON 417, and takes 100-continue', async () => {
    const { text } = await exchange(boundPort(internal), ['GET /healthz HTTP/1.1\r\nHost: t\r\nExpect: foo\r\n\r\n']);
    expectRefusal(responsesOf(text)[0], 417, 'EXPECTATION_FAILED');
    const ok = await exchange(boundPort(internal), [
      'POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Type: ' +
        'application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
    ]);
    expect(ok.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it('answers too many headers with a JSON 431, at the public limit and at the larger internal one', async () => {
    const headers = (count: number) => Array.from({ length: count }, (_, i) => `X-H${i}: v\r\n`).join('');
    const request = (count: number) => `GET /healthz HTTP/1.1\r\nHost: t\r\n${headers(count)}Connection: close\r\n\r\n`;
    expectRefusal(
      responsesOf((await exchange(boundPort(publicServer), [request(120)])).text)[0],
      431,
      'HEADERS_TOO_LARGE',
    );
    expect(responsesOf((await exchange(boundPort(internal), [request(120)])).text)[0].status).toBe(200);
    expectRefusal(
      responsesOf((await exchange(boundPort(internal), [request(1_000)])).text)[0],
      431,
      'HEADERS_TOO_LARGE',
    );
  });

  it('answers headers past the byte limit with a JSON 431 (16 KiB public, 32 KiB internal)', async () => {
    const request = (bytes: number) =>
      `GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(bytes)}\r\nConnection: close\r\n\r\n`;
    expectRefusal(
      responsesOf((await exchange(boundPort(publicServer), [request(20_000)])).text)[0],
      431,
      'HEADERS_TOO_LARGE',
    );
    expect(responsesOf((await exchange(boundPort(internal), [request(20_000)])).text)[0].status).toBe(200);
  });
});

describe('a parse error after pipelined requests', () => {
  it('answers the requests before it first, then refuses the bad bytes and closes', async () => {
    const { text } = await exchange(boundPort(internal), [
      'GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\nNOT HTTP AT ALL\r\n\r\n',
    ]);
    const responses = responsesOf(text);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 400]);
    expect(JSON.parse(responses[0].body)).toEqual({ slow: true });
    expectRefusal(responses[2], 400, 'INVALID_BODY');
  });
});

describe('deadlines', () => {
  it('answers headers that do not arrive in time with a JSON 408 and closes the connection', async () => {
    const { text, closedAfterMs } = await exchange(boundPort(internal), [
      'GET /healthz HTTP/1.1\r\n',
      { waitMs: 1_500 },
    ]);
    expectRefusal(responsesOf(text)[0], 408, 'REQUEST_TIMEOUT');
    expect(closedAfterMs).toBeGreaterThanOrEqual(DEADLINES.headersMs);
    expect(closedAfterMs).toBeLessThan(DEADLINES.headersMs + 1_000);
  });

  it('answers a body that does not arrive whole in time with a JSON 408 and closes the connection', async () => {
    const slowBody = Array.from({ length: 40 }, () => ['{', { waitMs: 100 }] as const).flat();
    const { text, closedAfterMs } = await exchange(boundPort(internal), [
      'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n',
      ...slowBody,
    ]);
    const [response] = responsesOf(text);
    expectRefusal(response, 408, 'REQUEST_TIMEOUT');
    expect(response.headers.connection).toBe('close');
    expect(response.headers['x-content-type-options']).toBe('nosniff'); // the app's headers, kept
    expect(closedAfterMs).toBeGreaterThanOrEqual(DEADLINES.requestMs);
    expect(closedAfterMs).toBeLessThan(DEADLINES.requestMs + 1_000);
  });
});
