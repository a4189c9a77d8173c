// Starts the whole storefront in this process (inventory, checkout, then the gateway in front of
// them) on a real Redis, through each app's own start function, on free ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { TEST_SECRET, uniquePrefix, waitFor } from '@storefront/cart-cache/testing';
import type { RunningService } from '@storefront/service-kit';
import { readCheckoutConfig } from '../../checkout/src/config';
import type { PaymentProcessor } from '../../checkout/src/payment';
import { startCheckout } from '../../checkout/src/server';
import { readGatewayConfig } from '../../gateway/src/config';
import { startGateway } from '../../gateway/src/server';
import { readInventoryConfig } from '../../inventory/src/config';
import { startInventory } from '../../inventory/src/server';

export interface Storefront {
  gatewayUrl: string;
  inventoryUrl: string;
  checkoutUrl: string;
  prefix: string;
  /** Stops the gateway and starts a new one on the same port (sessions live in Redis). */
  restartGateway(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStorefront(options: { redisUrl: string; payments?: PaymentProcessor }): Promise<Storefront> {
  const prefix = uniquePrefix('e2e');
  const env = { REDIS_URL: options.redisUrl, GATEWAY_SECRET: TEST_SECRET, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent', PORT: '0' };
  const inventory = await startInventory(readInventoryConfig(env));
  const checkout = await startCheckout(readCheckoutConfig(env), options.payments);
  const inventoryUrl = `http://127.0.0.1:${inventory.port}`;
  const checkoutUrl = `http://127.0.0.1:${checkout.port}`;
  const gatewayEnv = { ...env, INVENTORY_URL: inventoryUrl, CHECKOUT_URL: checkoutUrl, UPSTREAM_TIMEOUT_MS: '2000' };
  let gateway: RunningService = await startGateway(readGatewayConfig(gatewayEnv));
  const gatewayPort = gateway.port;
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  await waitUntilReady([inventoryUrl, checkoutUrl, gatewayUrl]);
  return {
    gatewayUrl,
    inventoryUrl,
    checkoutUrl,
    prefix,
    async restartGateway() {
      await gateway.stop();
      gateway = await startGateway(readGatewayConfig({ ...gatewayEnv, PORT: String(gatewayPort) }));
      await waitUntilReady([gatewayUrl]);
    },
    async stop() {
      await gateway.stop();
      await Promise.all([inventory.stop(), checkout.stop()]);
    },
  };
}

/** A service takes requests as soon as it listens, but answers 503 until its Redis connection is up. */
export async function waitUntilReady(baseUrls: string[], timeoutMs = 5_000): Promise<void> {
  await Promise.all(
    baseUrls.map((base) => waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, timeoutMs)),
  );
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  ms: number;
}

/** One HTTP call, with the session token as a Bearer header when given. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const started = Date.now();
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, ms: Date.now() - started };
}

export async function newSession(baseUrl: string): Promise<string> {
  const answer = await call(baseUrl, 'POST', '/session');
  if (answer.status !== 201) throw new Error(`POST /session answered ${answer.status}`);
  return answer.body.token;
}

export interface StorefrontProcesses {
  gatewayUrl: string;
  inventoryUrl: string;
  checkoutUrl: string;
  /** Everything the three processes wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the built services (dist/apps/*\/main.js, as `npm start` and the images run them) as child
 * processes with `env`, waits until each is ready (unless told not to), and captures their output.
 */
export async function startStorefrontProcesses(
  env: Record<string, string>,
  options: { waitForReady?: boolean } = {},
): Promise<StorefrontProcesses> {
  const root = join(__dirname, '../../..');
  let output = '';
  const children: ChildProcess[] = [];
  const start = async (app: string, extra: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [join(root, 'dist/apps', app, 'main.js')], {
      env: { PATH: process.env.PATH ?? '', GATEWAY_SECRET: TEST_SECRET, LOG_LEVEL: 'info', PORT: '0', ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let own = '';
    const collect = (chunk: Buffer) => {
      own += chunk;
      output += chunk;
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const port = await waitFor(() => /"port":(\d+)/.exec(own)?.[1], 10_000);
    return `http://127.0.0.1:${port}`;
  };
  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }),
    );
  };
  try {
    const inventoryUrl = await start('inventory');
    const checkoutUrl = await start('checkout');
    const gatewayUrl = await start('gateway', { INVENTORY_URL: inventoryUrl, CHECKOUT_URL: checkoutUrl });
    if (options.waitForReady ?? true) await waitUntilReady([inventoryUrl, checkoutUrl, gatewayUrl], 10_000);
    return { gatewayUrl, inventoryUrl, checkoutUrl, output: () => output, stop };
  } catch (err) {
    await stop();
    throw new Error(`the storefront did not start: ${(err as Error).message}\n${output}`);
  }
}
