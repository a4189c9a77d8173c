// Jest globalSetup for projects whose tests touch Redis: one Redis per test run, shared by every test
// file through STOREFRONT_TEST_REDIS_URL (test files isolate by key prefix, never by flushing).
import { startTestRedis, type TestRedis } from './test-redis';

declare global {
  // eslint-disable-next-line no-var
  var __storefrontTestRedis: TestRedis | undefined;
}

export default async function globalSetup(): Promise<void> {
  const redis = await startTestRedis();
  globalThis.__storefrontTestRedis = redis;
  process.env.STOREFRONT_TEST_REDIS_URL = redis.url;
  process.stdout.write(`\n[test redis] using ${redis.source} at ${redis.url.replace(/\/\/[^@]*@/, '//***@')}\n`);
}
