// The fault proxy itself, against a real Redis and a raw socket speaking RESP: the scenarios rely on
// each fault doing exactly what it says, so each is checked here on its own.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connectTestRedis, startControllableRedis, uniquePrefix, type RedisProcess } from '@storefront/test-kit';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { report } from '../support/http';

let redis: RedisProcess | undefined;
let proxy: FaultProxy | undefined;
const sockets: Socket[] = [];
const prefix = uniquePrefix('faults-proxy');

beforeAll(async () => {
  redis = await startControllableRedis();
  proxy = await startFaultProxy({ port: redis.port });
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await proxy?.close();
  await redis?.stop();
});

/** A raw connection through the proxy; send() resolves with the next reply, or 'closed'. */
async function rawClient() {
  const socket = connect({ host: '127.0.0.1', port: (proxy as FaultProxy).port });
  sockets.push(socket);
  await once(socket, 'connect');
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  return {
    socket,
    isClosed: () => closed,
    send(command: string, timeoutMs = 2_000): Promise<{ reply: string; ms: number }> {
      const started = performance.now();
      return new Promise((resolve) => {
        const done = (reply: string) => {
          clearTimeout(timer);
          socket.off('data', onData);
          socket.off('close', onClose);
          resolve({ reply, ms: Math.round(performance.now() - started) });
        };
        const onData = (chunk: Buffer) => done(chunk.toString().trim());
        const onClose = () => done('closed');
        const timer = setTimeout(() => done('no reply'), timeoutMs);
        socket.on('data', onData);
        socket.on('close', onClose);
        socket.write(`${command}\r\n`);
      });
    },
  };
}

it(
  'forwards as is, delays each direction by setLatency, holds without ' +
    'closing on stopForwarding, and cuts the reply on dropNextReply',
  async () => {
    const link = proxy as FaultProxy;
    const client = await rawClient();

    const plain = await client.send('PING');
    expect(plain.reply).toBe('+PONG');

    // 150 ms each way: a round trip of at least 300 ms.
    link.setLatency(150);
    const slow = await client.send('PING');
    link.setLatency(0);
    expect(slow.reply).toBe('+PONG');
    expect(slow.ms).toBeGreaterThanOrEqual(300);

    // Held: no reply while stopped, the connection stays open, the reply comes once resumed.
    link.stopForwarding();
    const held = client.send('PING', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(client.isClosed()).toBe(false);
    link.resumeForwarding();
    const released = await held;
    expect(released.reply).toBe('+PONG');
    expect(released.ms).toBeGreaterThanOrEqual(400);

    // Cut after Redis ran the command: the client gets no reply (its connection is closed), and the
    // write is in Redis.
    const key = `${prefix}dropped`;
    const cut = link.dropNextReply((request) => request.includes(key));
    const lost = await client.send(`SET ${key} applied`);
    const dropped = await cut;
    expect(lost.reply).toBe('closed');
    expect(dropped.reply.toString().trim()).toBe('+OK');
    const check = connectTestRedis((redis as RedisProcess).url);
    try {
      expect(await check.get(key)).toBe('applied');
      await check.del(key);
    } finally {
      check.disconnect();
    }
    // The proxy still takes new connections after a cut.
    expect((await (await rawClient()).send('PING')).reply).toBe('+PONG');
    report(
      `proxy) plain PING ${plain.ms} ms; with 150 ms each way ${slow.ms} ms; held 400 ms then released: ` +
        `${released.ms} ms; ` +
        `dropNextReply: client saw '${lost.reply}', Redis had run the SET (reply ` +
        `'${dropped.reply.toString().trim()}' dropped)`,
    );
  },
);
