// Test helpers (import from '@storefront/cart-cache/testing'); never imported by production code.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { IDENTITY_HEADER, createIdentityHandoff } from '@storefront/service-kit';

export { freePort, findOnPath, startRedisProcess } from './testing/redis-server';
export { DEFAULT_REDIS_IMAGE, startControllableRedis, startTestRedis } from './testing/test-redis';
export type { RedisProcess, TestRedis, TestRedisSource } from './testing/test-redis';

/** A secret for tests (the services require at least 32 characters). */
export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123';

/** The URL of the Redis that Jest's globalSetup started for this run. */
export function testRedisUrl(): string {
  const url = process.env.STOREFRONT_TEST_REDIS_URL;
  if (!url) {
    throw new Error('No test Redis: run the tests through their jest.config.js, whose globalSetup starts one.');
  }
  return url;
}

/** A plain client to the test Redis, to look at the state the code under test left behind. */
export function connectTestRedis(url = testRedisUrl()): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** A key prefix of the calling test's own, so test files never see each other's keys. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomBytes(4).toString('hex')}:`;
}

/** A fresh shopper id for one test. */
export function freshShopper(): string {
  return randomBytes(16).toString('base64url');
}

/** Polls `check` until it resolves truthy or `timeoutMs` passes; resolves with the first truthy value. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 5_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`waitFor: condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The production client (fast-fail settings) on the test Redis, once it is ready. */
export async function connectFastFailClient(url = testRedisUrl(), name = 'test'): Promise<Redis> {
  const { createRedisClient, waitUntilReady } = await import('./lib/redis-client');
  const redis = createRedisClient(url, { name });
  await waitUntilReady(redis);
  return redis;
}

/** The header a service expects from the gateway, signed with TEST_SECRET for one request. */
export function gatewayIdentity(shopper: string, method: string, url: string): Record<string, string> {
  return { [IDENTITY_HEADER]: createIdentityHandoff(TEST_SECRET).sign(shopper, { method, url }) };
}
