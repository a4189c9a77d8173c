// The built services as processes (what `npm start` and the images run): a bad setting stops the
// process naming the variable; SIGTERM stops it cleanly with exit code 0, its last log lines written.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { TEST_SECRET, testRedisUrl, waitFor } from '@storefront/test-kit';

const root = join(__dirname, '../../..');

function run(app: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [join(root, 'dist/apps', app, 'main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: testRedisUrl(),
      GATEWAY_SECRET: TEST_SECRET,
      METRICS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, output: () => output };
}

it.each([
  ['inventory', { PORT: 'abc' }, /PORT/],
  ['checkout', { CART_MAX_QUANTITY: '0' }, /CART_MAX_QUANTITY/],
  ['gateway', { REDIS_URL: 'http://nope' }, /REDIS_URL/],
  ['gateway', { NODE_ENV: 'production', GATEWAY_SECRET: '' }, /GATEWAY_SECRET/],
])('%s stops with exit code 1 and a message naming the bad variable (%p)', async (app, env, named) => {
  const service = run(app, env);
  expect(await service.exited).toBe(1);
  expect(service.output()).toMatch(named);
});

it.each(['gateway', 'inventory', 'checkout'])(
  '%s exits 0 on SIGTERM, with a keep-alive connection open',
  async (app) => {
    const service = run(app, { PORT: '0' });
    const port = await waitFor(() => /"port":(\d+)/.exec(service.output())?.[1], 10_000);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 5_000);
    await (await fetch(`${base}/healthz`)).text(); // leaves an idle keep-alive socket
    const started = Date.now();
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(service.output()).toMatch(/"msg":"stopped"/);
  },
);

it.each(['gateway', 'inventory'])(
  '%s, stopped by SIGTERM under load, has logged a line for every request it answered, the last ones too',
  async (app) => {
    const service = run(app, { PORT: '0', LOG_LEVEL: 'info' });
    const port = await waitFor(() => /"port":(\d+)/.exec(service.output())?.[1], 10_000);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 5_000);
    // Clients on kept-alive connections, each sending its next request as soon as the last is answered,
    // until the service stops taking them.
    const answered: string[] = [];
    let sent = 0;
    const client = async () => {
      for (;;) {
        const id = `load-${sent++}`;
        try {
          const answer = await fetch(`${base}/healthz`, { headers: { 'x-request-id': id } });
          await answer.text();
          if (answer.status === 200) answered.push(id);
        } catch {
          return; // refused or closed: the service is stopping
        }
      }
    };
    const clients = Array.from({ length: 20 }, client);
    await waitFor(() => answered.length >= 300, 10_000);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    await Promise.all(clients);

    const logged = new Set(
      service
        .output()
        .split('\n')
        .filter((line) => line.includes('"msg":"request"'))
        .map((line) => JSON.parse(line).reqId as string),
    );
    expect(answered.filter((id) => !logged.has(id))).toEqual([]);
    expect(logged.has(answered[answered.length - 1])).toBe(true);
  },
);
