// The Express app every service starts from, on a throwaway route set.
import { connect } from 'node:net';
import { hostname } from 'node:os';
import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import {
  AppError,
  boundPort,
  closeServer,
  createLogger,
  createServiceApp,
  jsonBody,
  listen,
  methodNotAllowed,
} from '@storefront/service-kit';

const logged: unknown[] = [];
const logger = createLogger({ name: 'test', level: 'error' });
logger.error = ((obj: unknown) => void logged.push(obj)) as typeof logger.error;

let ready = true;
const app = createServiceApp({
  name: 'test',
  logger,
  checkReady: async () => {
    if (!ready) throw new Error('redis down');
  },
  routes: (routes) => {
    routes
      .route('/echo')
      .post(jsonBody(), (req, res) => {
        res.json({ body: req.body ?? null });
      })
      .all(methodNotAllowed('POST'));
    routes.get('/teapot', () => {
      throw new AppError('TEAPOT', 'I am a teapot.', 418);
    });
    routes.get('/slow', async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      res.json({ slow: true });
    });
    routes.get('/bug', async () => {
      throw new Error('secret internals at line 42');
    });
  },
});

describe('createServiceApp', () => {
  it('answers an AppError with its status and the contract shape', async () => {
    const res = await request(app).get('/teapot');
    expect(res.status).toBe(418);
    expect(res.body).toEqual({ error: { code: 'TEAPOT', message: 'I am a teapot.' } });
  });

  it(
    'answers a bug (an async rejection too) with 500 ' + 'INTERNAL, no details, and logs it with the request id',
    async () => {
      const res = await request(app).get('/bug').set('X-Request-Id', 'bug-1');
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe('INTERNAL');
      expect(res.text).not.toMatch(/secret internals|line 42/);
      expect(logged).toContainEqual(expect.objectContaining({ reqId: 'bug-1' }));
    },
  );

  it.each(['/healthz', '/nope', '/teapot', '/bug'])(
    'sends the security headers on %s, errors included',
    async (path) => {
      const res = await request(app).get(path);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    },
  );

  it("sends exactly helmet()'s security headers, with helmet's values", async () => {
    const withHelmet = express().use(helmet());
    withHelmet.get('/healthz', (_req, res) => {
      res.json({ status: 'ok' });
    });
    const [ours, helmets] = await Promise.all([request(app).get('/healthz'), request(withHelmet).get('/healthz')]);
    const framing = ['date', 'connection', 'keep-alive', 'content-length', 'content-type', 'etag', 'x-powered-by'];
    const ownHeaders = ['x-request-id', 'x-served-by'];
    const securityHeaders = (headers: Record<string, string>) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => ![...framing, ...ownHeaders].includes(name)));
    expect(Object.keys(securityHeaders(helmets.headers)).length).toBeGreaterThanOrEqual(12);
    expect(securityHeaders(ours.headers)).toEqual(securityHeaders(helmets.headers));
  });

  it('sends no X-Powered-By, and names the instance that answered in X-Served-By', async () => {
    const res = await request(app).get('/healthz');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-served-by']).toBe(`test/${hostname()}`);
  });

  it('takes a request without a body and without Content-Type', async () => {
    const res = await request(app).post('/echo');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ body: null });
  });

  it('parses JSON, including a +json media type', async () => {
    const res = await request(app).post('/echo').set('Content-Type', 'application/merge-patch+json').send('{"a":1}');
    expect(res.body).toEqual({ body: { a: 1 } });
  });

  it('answers /readyz 503 CART_UNAVAILABLE with Retry-After when the check fails', async () => {
    ready = false;
    try {
      const res = await request(app).get('/readyz');
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('CART_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('1');
    } finally {
      ready = true;
    }
    expect((await request(app).get('/readyz')).status).toBe(200);
  });

  it('answers 405 on /healthz to another method, and 404 NOT_FOUND to an unknown route', async () => {
    expect((await request(app).delete('/healthz')).headers.allow).toBe('GET, HEAD');
    const res = await request(app).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('answers a request that is not valid HTTP with a JSON 400 too', async () => {
    const server = await listen(app, 0, '127.0.0.1');
    try {
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(boundPort(server), '127.0.0.1');
        let data = '';
        socket.on('data', (chunk) => (data += chunk));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n');
      });
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(raw.split('\r\n\r\n')[1])).toEqual({
        error: { code: 'INVALID_BODY', message: expect.any(String) },
      });
    } finally {
      await closeServer(server);
    }
  });

  it('on stop, finishes a request in flight on a kept-alive connection, closes it, and is gone at once', async () => {
    const { Agent, get } = await import('node:http');
    const server = await listen(app, 0, '127.0.0.1');
    const agent = new Agent({ keepAlive: true });
    try {
      const answer = new Promise<{ status?: number; connection?: string }>((resolve, reject) => {
        get({ host: '127.0.0.1', port: boundPort(server), path: '/slow', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection }));
        }).on('error', reject);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      await closeServer(server);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await answer).toEqual({ status: 200, connection: 'close' });
    } finally {
      agent.destroy();
    }
  });
});
