// The gateway at the edges of HTTP: what a client can send, a body that never arrives whole, a client
// that goes away, a service down or slow or breaking off its answer, and health.
import { createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import pino from 'pino';
import type { Express } from 'express';
import request from 'supertest';
import { freePort, waitFor } from '@storefront/test-kit';
import { IDENTITY_HEADER, boundPort, closeServer, listen } from '@storefront/service-kit';
import { expectError, handoff, useGateway, type Received } from './gateway-harness';

const { current, gateway, newSession } = useGateway();
let app: Express;
beforeAll(() => ({ app } = current()));

describe('what a client can send', () => {
  it('refuses an announced 1 MiB body with 413 and closes the connection at once, without reading it', async () => {
    const server = await listen(app, 0, '127.0.0.1');
    try {
      const token = await newSession();
      const answer = await new Promise<{ text: string; ms: number }>((resolve, reject) => {
        const socket = connect(boundPort(server), '127.0.0.1');
        const started = Date.now();
        let text = '';
        socket.on('data', (chunk) => (text += chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve({ text, ms: Date.now() - started }));
        setTimeout(() => reject(new Error(`still open after 3 s: ${text}`)), 3_000);
        socket.write(
          `POST /Cart/Item HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{"id":',
        );
      });
      expect(answer.text).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer.text).toMatch(/connection: close/i);
      expect(answer.ms).toBeLessThan(1_000);
    } finally {
      await closeServer(server);
    }
  });

  it(
    'refuses more than 100 headers with 431, and its own ' + 'headers reach the service whatever the client sends',
    async () => {
      const token = await newSession();
      const many = (count: number) =>
        Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-client-${i}`, 'v']));
      const refused = await request(app).get('/Cart').set('Authorization', `Bearer ${token}`).set(many(120));
      expectError(refused, 431, 'HEADERS_TOO_LARGE');
      expect(refused.headers['x-echo-service']).toBeUndefined();
      const forwarded = await request(app).get('/Cart').set('Authorization', `Bearer ${token}`).set(many(95));
      expect(forwarded.status).toBe(200);
      const received = forwarded.body as Received;
      expect(
        handoff.verify(received.headers[IDENTITY_HEADER] as string, { method: 'GET', url: '/Cart' }),
      ).toBeDefined();
      expect(received.headers['x-request-id']).toBe(forwarded.headers['x-request-id']);
      expect(received.headers['x-client-94']).toBe('v');
    },
  );
});

describe('a body that never arrives whole', () => {
  it('is answered 408 at the deadline, and the request to the service is dropped with it', async () => {
    let upstreamClosedAt = 0;
    const upstream = createServer((req) => {
      // Never answers: it waits for a body that keeps trickling in.
      req.resume();
      req.on('close', () => (upstreamClosedAt = Date.now()));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const front = await listen(
      gateway({ inventoryUrl: `http://127.0.0.1:${boundPort(upstream)}`, upstreamTimeoutMs: 5_000 }),
      0,
      '127.0.0.1',
      {
        headersMs: 400,
        requestMs: 1_000,
      },
    );
    try {
      const answer = await new Promise<{ text: string; at: number }>((resolve, reject) => {
        const socket = connect(boundPort(front), '127.0.0.1');
        let text = '';
        const drip = setInterval(() => socket.writable && socket.write(' '), 100);
        socket.on('data', (chunk) => (text += chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearInterval(drip);
          resolve({ text, at: Date.now() });
        });
        setTimeout(() => reject(new Error(`still open after 3 s: ${text}`)), 3_000);
        socket.write(
          'POST /Items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
        );
      });
      expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer.text).toContain('"REQUEST_TIMEOUT"');
      // The upstream request is cancelled with the 408, not left to run out on its own (a margin for a
      // loaded machine: uncancelled, it would stay open until the 5 s upstream deadline).
      await waitFor(() => upstreamClosedAt > 0, 1_000);
      expect(upstreamClosedAt - answer.at).toBeLessThan(500);
    } finally {
      await closeServer(front);
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});

describe('a client that goes away', () => {
  it('is logged as an aborted request, with no status and no "service unavailable"', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const server = await listen(gateway({ logger, upstreamTimeoutMs: 2_000 }), 0, '127.0.0.1');
    try {
      await new Promise<void>((resolve) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port: boundPort(server),
          path: '/Items/slow',
          headers: { 'x-request-id': 'gone-1' },
        });
        req.on('error', () => resolve());
        req.end();
        setTimeout(() => req.destroy(), 100);
      });
      // Past the moment the service answers (1 s): nothing more may be said about this request.
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      const about = lines.filter((line) => line.reqId === 'gone-1');
      expect(about).toEqual([expect.objectContaining({ msg: 'request aborted', aborted: true, path: '/Items/slow' })]);
      expect(about[0].status).toBeUndefined();
      expect(lines.filter((line) => Number(line.level) >= 40)).toEqual([]);
    } finally {
      await closeServer(server);
    }
  });
});

describe('a service down or slow', () => {
  it('answers 503 SERVICE_UNAVAILABLE with Retry-After when nothing listens', async () => {
    const down = gateway({ inventoryUrl: `http://127.0.0.1:${await freePort()}` });
    const res = await request(down).get('/Items');
    expectError(res, 503, 'SERVICE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('1');
  });

  it('answers 503 SERVICE_UNAVAILABLE when the service does not answer within the upstream timeout', async () => {
    const started = Date.now();
    const res = await request(app).get('/Items/slow');
    expectError(res, 503, 'SERVICE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('a service answer that breaks off', () => {
  it('closes the client connection instead of leaving it hanging', async () => {
    const started = Date.now();
    const outcome = await request(app)
      .get('/Items/broken')
      .timeout(3_000)
      .then(
        () => 'complete',
        (err: Error & { code?: string; timeout?: number }) => (err.timeout ? 'timed out' : 'closed'),
      );
    expect(outcome).toBe('closed');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('health', () => {
  it('answers /healthz and /readyz from its own Redis', async () => {
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(app).get('/readyz')).body).toEqual({ status: 'ready' });
  });
});
