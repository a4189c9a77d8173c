// Choosing where the data lives: exactly one topology, every list checked, every mistake named.
import { z } from 'zod';
import { DEFAULT_REDIS_URL, redisEnv, redisTopologyOf } from '@storefront/redis';
import { ConfigError, readConfig } from '@storefront/service-kit';

const schema = z.object(redisEnv);
const topologyOf = (env: Record<string, string>) => redisTopologyOf(readConfig(schema, env));

describe('the Redis topology', () => {
  it('is one node at the default URL when nothing is set, with no replicas to wait for', () => {
    expect(topologyOf({})).toEqual({ kind: 'single', url: DEFAULT_REDIS_URL });
    expect(readConfig(schema, {})).toMatchObject({
      REDIS_WAIT_REPLICAS: 0,
      REDIS_WAIT_TIMEOUT_MS: 200,
      REDIS_SENTINEL_NAME: 'mymaster',
    });
  });

  it('takes rediss:// with a user and password in REDIS_URL', () => {
    expect(topologyOf({ REDIS_URL: 'rediss://user:pass@redis.example:6380' })).toEqual({
      kind: 'single',
      url: 'rediss://user:pass@redis.example:6380',
    });
  });

  it.each([
    ['REDIS_URL', 'http://localhost:6379'],
    ['REDIS_URL', 'not a url'],
    ['REDIS_WAIT_REPLICAS', '-1'],
    ['REDIS_WAIT_TIMEOUT_MS', '0'],
    ['REDIS_WAIT_TIMEOUT_MS', '201'],
  ])('stops with a message naming %s when it is %p', (name, value) => {
    expect(() => topologyOf({ [name]: value })).toThrow(ConfigError);
    expect(() => topologyOf({ [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it('refuses more than one topology, naming the variables', () => {
    expect(() => topologyOf({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:7000' })).toThrow(
      /REDIS_URL, REDIS_CLUSTER_NODES/,
    );
    expect(() => topologyOf({ REDIS_CLUSTER_NODES: 'b:7000', REDIS_SENTINELS: 'c:26379' })).toThrow(
      /REDIS_CLUSTER_NODES, REDIS_SENTINELS/,
    );
  });

  it('reads cluster seed nodes as host:port or URLs, with user, password and TLS from the URLs', () => {
    expect(topologyOf({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2:7001,[::1]:7002' })).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      tls: false,
      username: undefined,
      password: undefined,
    });
    expect(topologyOf({ REDIS_CLUSTER_NODES: 'rediss://app:s%40cret@a:7000,rediss://app:s%40cret@b' })).toMatchObject({
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 6379 },
      ],
      tls: true,
      username: 'app',
      password: 's@cret',
    });
  });

  it.each([
    ['a:7000,,b:7001'],
    ['a'],
    ['a:0'],
    ['a:70000'],
    ['http://a:7000'],
    ['redis://x:1@a:7000,redis://y:2@b:7001'],
  ])('refuses the cluster list %p, naming REDIS_CLUSTER_NODES', (value) => {
    expect(() => topologyOf({ REDIS_CLUSTER_NODES: value })).toThrow(/REDIS_CLUSTER_NODES/);
  });

  it('reads sentinels with the primary name and the credentials of both', () => {
    expect(
      topologyOf({
        REDIS_SENTINELS: 's1:26379,s2:26380',
        REDIS_SENTINEL_NAME: 'shop',
        REDIS_PASSWORD: 'data',
        REDIS_SENTINEL_PASSWORD: 'watch',
      }),
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      name: 'shop',
      username: undefined,
      password: 'data',
      sentinel: { username: undefined, password: 'watch' },
    });
    expect(() => topologyOf({ REDIS_SENTINELS: 's1' })).toThrow(/REDIS_SENTINELS/);
  });
});
