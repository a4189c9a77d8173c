import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { runPacedLoad } from './load';

// A server that notes when each request arrived and answers after `delayMs`.
function startServer(delayMs: number): Promise<{ server: Server; url: string; arrivals: number[] }> {
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    setTimeout(() => res.writeHead(201, { 'x-seen': String(arrivals.length) }).end('{"ok":true}'), delayMs);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals }),
    ),
  );
}

const post = () => ({
  method: 'POST' as const,
  path: '/x',
  headers: { 'content-type': 'application/json' },
  body: '{}',
});

describe('runPacedLoad', () => {
  let running: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => new Promise((resolve) => running.server.close(resolve)));

  it('sends at evenly spaced moments, not in a burst at the start of each second', async () => {
    running = await startServer(0);
    const startedAt = performance.now();
    const result = await runPacedLoad({
      url: running.url,
      connections: 20,
      requests: 40,
      rate: 100,
      nextRequest: post,
    });

    expect(result.statuses).toEqual({ 201: 40 });
    expect(result.errors).toBe(0);
    // 40 requests at 100 per second: request n is due n × 10 ms after the start, and none arrives before
    // it is due. A burst would bring them all within a few milliseconds of the first.
    running.arrivals.forEach((at, n) => expect(at - startedAt).toBeGreaterThanOrEqual(n * 10 - 1));
  });

  it('counts a latency from the moment a request was due, waiting for a connection included', async () => {
    running = await startServer(100);
    // One connection, 10 requests due every 10 ms, each answered in 100 ms: the tenth waits for nine.
    const answers: number[] = [];
    const result = await runPacedLoad({
      url: running.url,
      connections: 1,
      requests: 10,
      rate: 100,
      nextRequest: post,
      onAnswer: (answer) => answers.push(answer.status),
    });

    expect(answers).toEqual(Array(10).fill(201));
    expect(result.latencyMs.max).toBeGreaterThan(900);
    expect(result.latencyMs.p50).toBeGreaterThan(400);
  });

  it('counts a refused connection as an error, not a latency', async () => {
    running = await startServer(0);
    const result = await runPacedLoad({
      url: 'http://127.0.0.1:1',
      connections: 2,
      requests: 3,
      rate: 100,
      nextRequest: post,
    });

    expect(result.errors).toBe(3);
    expect(result.requests).toBe(0);
  });
});
