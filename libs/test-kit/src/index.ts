// The test kit, @storefront/test-kit: what tests and tools share (a real Redis for every test, test
// identities, polling, child processes, one HTTP client, load, percentiles); never imported by
// production code.
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { RedisConnection } from '@storefront/redis';
import { IDENTITY_HEADER, createIdentityHandoff, readConfig } from '@storefront/service-kit';

export {
  callJson,
  exchange,
  jsonObjectOf,
  responsesOf,
  sendRequest,
  type HttpReply,
  type HttpRequest,
  type JsonReply,
  type RawExchange,
  type RawResponse,
  type RawStep,
  type SendOptions,
} from './lib/http-client';
export {
  runLoad,
  runPacedLoad,
  startLoad,
  unexpectedAnswers,
  type LoadAnswer,
  type LoadOptions,
  type LoadRequest,
  type LoadResult,
  type PacedLoadResult,
  type RunningLoad,
} from './lib/load';
export {
  rssMbOf,
  spawnNodeProcess,
  startNodeService,
  waitForAnswer,
  waitReady,
  type NodeProcess,
  type NodeProcessOptions,
  type NodeService,
  type ProcessExit,
} from './lib/node-process';
export { gatedCalls, type Gate } from './lib/gate';
export { inPool, percentile } from './lib/pool';
export { builtApp, workspaceRoot } from './lib/workspace';
export { commandsSentDuring, type SentCommand } from './lib/commands-sent';
export { parseMetrics, scrapeMetrics, type Labels, type MetricsSnapshot } from './lib/prometheus-text';
export { freePort, findOnPath, startRedisProcess } from './lib/redis-server';
export { startRedisCluster, startRedisSentinelSet } from './lib/redis-topologies';
export { stallReplication } from './lib/replication-stall';
export type { ReplicationStall } from './lib/replication-stall';
export type { SentinelProcess, TestCluster, TestSentinelSet } from './lib/redis-topologies';
export { DEFAULT_REDIS_IMAGE, startControllableRedis, startTestRedis } from './lib/test-redis';
export type { RedisProcess, TestRedis, TestRedisSource } from './lib/test-redis';

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

export type TestTopology = 'single' | 'cluster' | 'sentinel';

/** The topology this run's test Redis has (STOREFRONT_TEST_TOPOLOGY; one node by default). */
export function testTopology(): TestTopology {
  if (process.env.STOREFRONT_TEST_REDIS_CLUSTER_NODES) return 'cluster';
  if (process.env.STOREFRONT_TEST_REDIS_SENTINELS) return 'sentinel';
  return 'single';
}

/** The environment that points connectRedis (or a service) at this run's test Redis, on its topology. */
export function testRedisEnv(): Record<string, string> {
  const topology = testTopology();
  if (topology === 'cluster') return { REDIS_CLUSTER_NODES: process.env.STOREFRONT_TEST_REDIS_CLUSTER_NODES as string };
  if (topology === 'sentinel') {
    return {
      REDIS_SENTINELS: process.env.STOREFRONT_TEST_REDIS_SENTINELS as string,
      REDIS_SENTINEL_NAME: process.env.STOREFRONT_TEST_REDIS_SENTINEL_NAME ?? 'mymaster',
    };
  }
  return { REDIS_URL: testRedisUrl() };
}

/** The production connection (fast-fail) to this run's test Redis on its topology, once it is ready. */
export async function connectTestStore(name = 'test', env: Record<string, string> = {}): Promise<RedisConnection> {
  const { connectRedis, redisEnv } = await import('@storefront/redis');
  const { z } = await import('zod');
  const connection = connectRedis(readConfig(z.object(redisEnv), { ...testRedisEnv(), ...env }), { name });
  await connection.waitUntilReady(10_000);
  return connection;
}

/** A forgiving client (it queues and retries) to look at what the code under test left, on any topology. */
export function inspectTestStore(): Redis | Cluster {
  const topology = testTopology();
  if (topology === 'cluster') {
    const seeds = (process.env.STOREFRONT_TEST_REDIS_CLUSTER_NODES as string).split(',').map((seed) => {
      const [host, port] = seed.split(':');
      return { host, port: Number(port) };
    });
    return new Cluster(seeds);
  }
  if (topology === 'sentinel') {
    const sentinels = (process.env.STOREFRONT_TEST_REDIS_SENTINELS as string).split(',').map((entry) => {
      const [host, port] = entry.split(':');
      return { host, port: Number(port) };
    });
    return new Redis({ sentinels, name: process.env.STOREFRONT_TEST_REDIS_SENTINEL_NAME ?? 'mymaster' });
  }
  return connectTestRedis();
}

/** Every key matching `pattern`, on every primary of a cluster (KEYS on one node sees one shard only). */
export async function keysMatching(client: Redis | Cluster, pattern: string): Promise<string[]> {
  // Until a cluster client is ready, its node list is the seed list, about to be replaced.
  if (client instanceof Cluster && client.status !== 'ready')
    await new Promise((resolve) => client.once('ready', resolve));
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  return (await Promise.all(nodes.map((node) => node.keys(pattern)))).flat().sort();
}

/** A key prefix of the calling test's own, so test files never see each other's keys. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomBytes(4).toString('hex')}:`;
}

/** A fresh shopper id for one test. */
export function freshShopper(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Polls `check` until it resolves truthy or `timeoutMs` passes (a throw counts as not yet); resolves
 * with the first truthy value.
 */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 5_000,
  intervalMs = 50,
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, undefined | null | false>;
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
  const { createRedisClient, waitUntilReady } = await import('@storefront/redis');
  const redis = createRedisClient(url, { name });
  await waitUntilReady(redis);
  return redis;
}

/**
 * For a spec file: before its tests, the production client (fast-fail) on this run's test Redis and a
 * plain client to look at what the code under test left; both closed after its tests.
 */
export function useTestRedis(name = 'test'): { redis(): Redis; inspect(): Redis } {
  let redis: Redis | undefined;
  let inspect: Redis | undefined;
  beforeAll(async () => {
    redis = await connectFastFailClient(undefined, name);
    inspect = connectTestRedis();
  });
  afterAll(async () => {
    const { closeRedis } = await import('@storefront/redis');
    if (redis) await closeRedis(redis);
    await inspect?.quit();
  });
  return { redis: () => redis as Redis, inspect: () => inspect as Redis };
}

/** As useTestRedis, on this run's topology: the production connection, and a forgiving client to look. */
export function useTestStore(name = 'test'): { connection(): RedisConnection; inspect(): Redis | Cluster } {
  let connection: RedisConnection | undefined;
  let inspect: Redis | Cluster | undefined;
  beforeAll(async () => {
    connection = await connectTestStore(name);
    inspect = inspectTestStore();
  });
  afterAll(async () => {
    await connection?.close();
    await inspect?.quit();
  });
  return { connection: () => connection as RedisConnection, inspect: () => inspect as Redis | Cluster };
}

/** The header a service expects from the gateway, signed with TEST_SECRET for one request. */
export function gatewayIdentity(shopper: string, method: string, url: string): Record<string, string> {
  return { [IDENTITY_HEADER]: createIdentityHandoff(TEST_SECRET).sign(shopper, { method, url }) };
}
