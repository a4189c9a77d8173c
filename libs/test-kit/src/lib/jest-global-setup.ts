// Jest globalSetup for projects whose tests touch Redis: one Redis per test run, shared by every test
// file through environment variables (test files isolate by key prefix, never by flushing). One node
// by default; STOREFRONT_TEST_TOPOLOGY=cluster or sentinel runs the same tests on a Redis Cluster or a
// Sentinel set of redis-server processes (npm run test:topologies).
import { keepTestRedis } from './jest-redis-handle';
import { startRedisCluster, startRedisSentinelSet } from './redis-topologies';
import { startTestRedis } from './test-redis';

export default async function globalSetup(): Promise<void> {
  const topology = process.env.STOREFRONT_TEST_TOPOLOGY || 'single';
  if (topology === 'cluster') {
    const cluster = await startRedisCluster();
    keepTestRedis(cluster);
    process.env.STOREFRONT_TEST_REDIS_CLUSTER_NODES = cluster.seeds;
    process.stdout.write(
      `\n[test redis] using a cluster of ${cluster.nodes.length} redis-server processes at ${cluster.seeds}\n`,
    );
  } else if (topology === 'sentinel') {
    const set = await startRedisSentinelSet();
    keepTestRedis(set);
    process.env.STOREFRONT_TEST_REDIS_SENTINELS = set.addresses;
    process.env.STOREFRONT_TEST_REDIS_SENTINEL_NAME = set.name;
    process.stdout.write(
      `\n[test redis] using sentinels at ${set.addresses} for ${set.nodes.length} redis-server processes\n`,
    );
  } else if (topology === 'single') {
    const redis = await startTestRedis();
    keepTestRedis(redis);
    process.env.STOREFRONT_TEST_REDIS_URL = redis.url;
    process.stdout.write(`\n[test redis] using ${redis.source} at ${redis.url.replace(/\/\/[^@]*@/, '//***@')}\n`);
  } else {
    throw new Error(`STOREFRONT_TEST_TOPOLOGY must be single, cluster or sentinel, not ${topology}`);
  }
}
