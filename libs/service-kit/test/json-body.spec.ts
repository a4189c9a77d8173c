// Request bodies and what error messages repeat of them: a nesting limit at parse time, UTF-8 only,
// an empty body is no body, and no message echoes more than 64 characters of client input.
import http from 'node:http';
import type { Server } from 'node:http';
import request from 'supertest';
import { z } from 'zod';
import {
  MAX_ECHOED_CHARS,
  MAX_JSON_DEPTH,
  boundPort,
  closeServer,
  createLogger,
  createServiceApp,
  listen,
  parseBody,
} from '@storefront/service-kit';

const strictBody = z.strictObject({ id: z.string() });

const app = createServiceApp({
  name: 'test',
  logger: createLogger({ name: 'test', level: 'silent' }),
  checkReady: async () => undefined,
  routes: (routes) => {
    routes.post('/echo', (req, res) => {
      res.json({ body: req.body ?? null });
    });
    routes.post('/strict', (req, res) => {
      res.json(parseBody(strictBody, req.body));
    });
  },
});

let server: Server;
beforeAll(async () => {
  server = await listen(app, 0, '127.0.0.1');
});
afterAll(() => closeServer(server));

/** POST /echo with exactly these bytes and headers (supertest would re-encode a body). */
function post(body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port: boundPort(server), host: '127.0.0.1', method: 'POST', path: '/echo', headers });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const longestRun = (text: string, char: string) =>
  Math.max(0, ...(text.match(new RegExp(`${char}+`, 'g')) ?? []).map((run) => run.length));

describe('JSON nesting', () => {
  it(`takes a body nested ${MAX_JSON_DEPTH} levels and refuses one level more with 400 INVALID_BODY`, async () => {
    const ok = await request(app).post('/echo').set('Content-Type', 'application/json').send(nested(MAX_JSON_DEPTH));
    expect(ok.status).toBe(200);
    const deep = await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(nested(MAX_JSON_DEPTH + 1));
    expect(deep.status).toBe(400);
    expect(deep.body.error.code).toBe('INVALID_BODY');
  });

  it('refuses 8,000 levels under a key with 400, and counts no brackets inside strings', async () => {
    const body = `{"id":"x","deep":${'['.repeat(8_000)}1${']'.repeat(8_000)}}`;
    const deep = await request(app).post('/echo').set('Content-Type', 'application/json').send(body);
    expect({ status: deep.status, code: deep.body.error?.code }).toEqual({ status: 400, code: 'INVALID_BODY' });
    const brackets = await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ id: '[['.repeat(100) }));
    expect(brackets.status).toBe(200);
  });
});

describe('UTF-8', () => {
  it('refuses a body that is not valid UTF-8 with 400 INVALID_BODY, and takes one with a byte order mark', async () => {
    const invalid = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await post(invalid, { 'Content-Type': 'application/json', 'Content-Length': String(invalid.length) });
    expect({ status: res.status, code: JSON.parse(res.text).error?.code }).toEqual({
      status: 400,
      code: 'INVALID_BODY',
    });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"id":"é"}')]);
    const ok = await post(bom, { 'Content-Type': 'application/json', 'Content-Length': String(bom.length) });
    expect(JSON.parse(ok.text)).toEqual({ body: { id: 'é' } });
  });
});

describe('a chunked body without Content-Type', () => {
  const chunked = (body: string) => post(body, { 'Transfer-Encoding': 'chunked' });

  it('is no body when it is empty', async () => {
    expect(await chunked('')).toEqual({ status: 200, text: '{"body":null}' });
  });

  it('is 415 when it has bytes', async () => {
    const answer = await chunked('{"id":"x"}');
    expect(answer.status).toBe(415);
    expect(JSON.parse(answer.text).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('client input in error messages', () => {
  it(`names an unknown field with at most ${MAX_ECHOED_CHARS} of its characters`, async () => {
    const res = await request(app)
      .post('/strict')
      .send({ id: 'x', ['k'.repeat(16_300)]: 1, other: 2 });
    expect(res.status).toBe(400);
    expect(longestRun(res.body.error.message, 'k')).toBe(MAX_ECHOED_CHARS);
    expect(res.text.length).toBeLessThan(300);
  });

  it(`repeats at most ${MAX_ECHOED_CHARS} characters of an unknown path`, async () => {
    const res = await request(app).get(`/${'p'.repeat(10_000)}`);
    expect(res.status).toBe(404);
    expect(longestRun(res.body.error.message, 'p')).toBeLessThanOrEqual(MAX_ECHOED_CHARS);
  });
});
