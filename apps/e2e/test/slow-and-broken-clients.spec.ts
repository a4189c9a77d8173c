// Clients that take their time or break HTTP's framing, end to end at the real deadlines: headers
// within 10 s, a whole request within 30 s, then a JSON 408 and the connection closes, at the gateway
// and at a service alike; and a pipelining client that sends garbage after a valid add gets the add's
// answer first.
import { connect } from 'node:net';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '@storefront/service-kit';
import { testRedisUrl } from '@storefront/test-kit';
import { call, newSession, startStorefront, type Storefront } from './storefront-harness';

let store: Storefront;
beforeAll(async () => {
  store = await startStorefront({ redisUrl: testRedisUrl() });
});
afterAll(() => store.stop());

interface Exchange {
  text: string;
  closedAfterMs: number;
}

/** Writes `head`, then one byte of `body` every `everyMs`, and reads until the server closes. */
function trickle(url: string, head: string, body: string, everyMs: number, giveUpMs = 45_000): Promise<Exchange> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const started = Date.now();
    let text = '';
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < body.length && socket.writable) socket.write(body[sent++]);
    }, everyMs);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${giveUpMs} ms: ${JSON.stringify(text.slice(0, 300))}`));
    }, giveUpMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
    socket.write(head);
  });
}

function expectTimedOut({ text, closedAfterMs }: Exchange, deadlineMs: number, where: string): void {
  expect({ where, status: text.slice(0, 12) }).toEqual({ where, status: 'HTTP/1.1 408' });
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
  expect(body).toEqual({ error: { code: 'REQUEST_TIMEOUT', message: expect.any(String) } });
  expect(closedAfterMs).toBeGreaterThanOrEqual(deadlineMs - 100);
  expect(closedAfterMs).toBeLessThan(deadlineMs + 2_000);
}

it(
  'ends slow headers after 10 s and a slow body after 30 ' + 's with a JSON 408, through the gateway and at a service',
  async () => {
    const token = await newSession(store.gatewayUrl);
    const bodyHead = (auth: string) =>
      `POST /Cart/Item HTTP/1.1\r\nHost: t\r\n${auth}Content-Type: application/json\r\nContent-Length: 40\r\n\r\n`;
    const body = `{"id":"badger-mug","quantity":1}${' '.repeat(7)}`;
    // One byte every 2 s, as the attack sent them: 40 bytes would take 80 s.
    const [gatewayBody, serviceBody, gatewayHeaders] = await Promise.all([
      trickle(store.gatewayUrl, bodyHead(`Authorization: Bearer ${token}\r\n`), body, 2_000),
      trickle(store.inventoryUrl, bodyHead(''), body, 2_000),
      trickle(store.gatewayUrl, 'GET /Items HTTP/1.1\r\nHost: t\r\n', 'X-Slow: 1\r\n', 2_000),
    ]);
    process.stdout.write(
      `slow clients: headers ended at ${gatewayHeaders.closedAfterMs} ms, bodies at ${gatewayBody.closedAfterMs} ms ` +
        `(gateway) and ${serviceBody.closedAfterMs} ms (inventory)\n`,
    );
    expectTimedOut(gatewayHeaders, HEADERS_TIMEOUT_MS, 'headers at the gateway');
    expectTimedOut(gatewayBody, REQUEST_TIMEOUT_MS, 'body through the gateway');
    expectTimedOut(serviceBody, REQUEST_TIMEOUT_MS, 'body at inventory');
    // Nothing was added by the request that never arrived whole.
    expect((await call(store.gatewayUrl, 'GET', '/Cart', { token })).body?.cart).toEqual([]);
  },
  60_000,
);

it('answers a valid add before refusing the garbage pipelined after it, every time', async () => {
  const token = await newSession(store.gatewayUrl);
  const { port } = new URL(store.gatewayUrl);
  const body = '{"id":"badger-mug"}';
  const add =
    `POST /Cart/Item HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${body.length}\r\n\r\n${body}`;
  const tries = 30;
  let created = 0;
  for (let i = 0; i < tries; i++) {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(received));
      setTimeout(() => reject(new Error(`no close: ${received}`)), 5_000);
      socket.write(`${add}GARBAGE \x01\r\n\r\n`);
    });
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
    expect(statuses).toEqual([201, 400]);
    created++;
  }
  const cart = (await call(store.gatewayUrl, 'GET', '/Cart', { token })).body?.cart;
  expect(cart).toEqual([{ id: 'badger-mug', quantity: created }]);
  expect(created).toBe(tries);
});
