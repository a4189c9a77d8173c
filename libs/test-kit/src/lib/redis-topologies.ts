// The topologies the storefront runs on, from redis-server processes on free ports of 127.0.0.1:
// a Redis Cluster of 3 primaries and 3 replicas, and a Sentinel set (1 primary, 2 replicas, 3
// sentinels). Tests kill, freeze and restart their processes; nothing here needs Docker.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { findOnPath, freePort, startRedisProcess, type RedisProcess } from './redis-server';

const run = promisify(execFile);

/** Settings that make failovers and resyncs quick enough for tests. */
const QUICK_REPLICATION = ['--repl-diskless-sync-delay', '0', '--appendonly', 'no'];

function requireBinary(name: string): string {
  const binary = findOnPath(name);
  if (!binary)
    throw new Error(`${name} is not on PATH (Debian: apt-get install redis-server redis-tools redis-sentinel)`);
  return binary;
}

async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}

async function ask<T>(port: number, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // the caller sees the failure as a rejection
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

export interface TestCluster {
  /** Every node, primaries first as created (their roles change with failovers). */
  nodes: RedisProcess[];
  /** The value of REDIS_CLUSTER_NODES for this cluster. */
  seeds: string;
  /** The node serving `slot` as primary now. */
  primaryOf(slot: number): Promise<RedisProcess>;
  /** The slots `node` serves as primary now, lowest first. */
  slotsOf(node: RedisProcess): Promise<number[]>;
  /**
   * Moves `count` slots from one primary to another with `redis-cli --cluster reshard`, which takes
   * the lowest-numbered slots of `from` first, keys included; resolves when every slot has moved.
   */
  reshard(from: RedisProcess, to: RedisProcess, count: number): Promise<void>;
  /** Resolves once every slot is served, every node agrees the cluster is ok and every replica is in sync. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisCluster(
  options: { primaries?: number; replicasPerPrimary?: number; nodeTimeoutMs?: number } = {},
): Promise<TestCluster> {
  const server = requireBinary('redis-server');
  const cli = requireBinary('redis-cli');
  const primaries = options.primaries ?? 3;
  const replicas = options.replicasPerPrimary ?? 1;
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-node-timeout',
    String(options.nodeTimeoutMs ?? 2_000),
    ...QUICK_REPLICATION,
  ];
  const nodes = await Promise.all(
    Array.from({ length: primaries * (1 + replicas) }, () => startRedisProcess(server, args)),
  );
  const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
  await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], {
    timeout: 30_000,
  });

  const waitHealthy = async (timeoutMs = 20_000) => {
    await poll(
      'the cluster was not healthy',
      async () => {
        for (const node of nodes) {
          if (node.pid() === undefined) continue;
          const info = await ask(node.port, (redis) => redis.cluster('INFO'));
          if (!/cluster_state:ok/.test(info) || !/cluster_slots_assigned:16384/.test(info)) return undefined;
          // A replica still in its first sync confirms nothing yet: a WAIT sent then waits it out.
          const replication = await ask(node.port, (redis) => redis.info('replication'));
          if (/role:slave/.test(replication) && !/master_link_status:up/.test(replication)) return undefined;
        }
        return true;
      },
      timeoutMs,
    );
  };
  await waitHealthy();
  const slotRanges = () => {
    const live = nodes.find((node) => node.pid() !== undefined) as RedisProcess;
    return ask(live.port, (redis) => redis.cluster('SLOTS'));
  };
  const idOf = (node: RedisProcess) => ask(node.port, (redis) => redis.cluster('MYID'));
  return {
    nodes,
    seeds: addresses.join(','),
    async slotsOf(node) {
      const slots: number[] = [];
      for (const [from, to, [, port]] of await slotRanges()) {
        if (port !== node.port) continue;
        for (let slot = from; slot <= to; slot++) slots.push(slot);
      }
      return slots.sort((a, b) => a - b);
    },
    async reshard(from, to, count) {
      const [fromId, toId] = await Promise.all([idOf(from), idOf(to)]);
      await run(
        cli,
        [
          '--cluster',
          'reshard',
          `127.0.0.1:${from.port}`,
          '--cluster-from',
          fromId,
          '--cluster-to',
          toId,
          '--cluster-slots',
          String(count),
          '--cluster-yes',
        ],
        { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      );
    },
    async primaryOf(slot) {
      const ranges = await slotRanges();
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      const port = range?.[2]?.[1];
      const node = nodes.find((candidate) => candidate.port === port);
      if (!node) throw new Error(`no primary serves slot ${slot}`);
      return node;
    },
    waitHealthy,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}

export interface SentinelProcess {
  port: number;
  /** What it logged so far (its failover steps among them), until it is stopped. */
  log(): string;
  /** SIGSTOP: connections to it still open (the kernel accepts them), but it answers nothing. */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

async function startSentinel(primaryPort: number, name: string, downAfterMs: number): Promise<SentinelProcess> {
  const binary = requireBinary('redis-sentinel');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'storefront-sentinel-'));
  const config = join(dir, 'sentinel.conf');
  const logFile = join(dir, 'sentinel.log');
  // Sentinel rewrites its own configuration file as it learns the set: it must be writable.
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode no',
      `dir ${dir}`,
      `logfile ${logFile}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
      `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
      `sentinel failover-timeout ${name} 10000`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, [config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  await poll('a sentinel did not answer', () => ask(port, (redis) => redis.ping()), 10_000);
  return {
    port,
    log: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestSentinelSet {
  /** The data nodes: the first started as primary (roles change with failovers). */
  nodes: RedisProcess[];
  sentinels: SentinelProcess[];
  /** The primary's name, for REDIS_SENTINEL_NAME. */
  name: string;
  /** The value of REDIS_SENTINELS for this set. */
  addresses: string;
  /** The data node a sentinel (the first, unless told) names as primary now. */
  primary(askSentinel?: number): Promise<RedisProcess>;
  stop(): Promise<void>;
}

export async function startRedisSentinelSet(
  options: { replicas?: number; downAfterMs?: number; name?: string } = {},
): Promise<TestSentinelSet> {
  const server = requireBinary('redis-server');
  const name = options.name ?? 'mymaster';
  const primary = await startRedisProcess(server, QUICK_REPLICATION);
  const replicas = await Promise.all(
    Array.from({ length: options.replicas ?? 2 }, () =>
      startRedisProcess(server, [...QUICK_REPLICATION, '--replicaof', '127.0.0.1', String(primary.port)]),
    ),
  );
  const nodes = [primary, ...replicas];
  await poll(
    'the replicas did not sync',
    async () => {
      const info = await ask(primary.port, (redis) => redis.info('replication'));
      return (info.match(/state=online/g) ?? []).length === replicas.length ? true : undefined;
    },
    15_000,
  );
  const sentinels = await Promise.all(
    [0, 1, 2].map(() => startSentinel(primary.port, name, options.downAfterMs ?? 1_000)),
  );
  // Each sentinel must know the replicas and the other sentinels before it can lead a failover.
  await poll(
    'the sentinels did not find each other',
    async () => {
      for (const sentinel of sentinels) {
        const [found, peers] = await ask(sentinel.port, async (redis) => [
          (await redis.call('SENTINEL', 'REPLICAS', name)) as unknown[],
          (await redis.call('SENTINEL', 'SENTINELS', name)) as unknown[],
        ]);
        if (found.length < replicas.length || peers.length < sentinels.length - 1) return undefined;
      }
      return true;
    },
    30_000,
  );
  return {
    nodes,
    sentinels,
    name,
    addresses: sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(','),
    async primary(askSentinel = 0) {
      const [, port] = (await ask(sentinels[askSentinel].port, (redis) =>
        redis.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name),
      )) as [string, string];
      const node = nodes.find((candidate) => candidate.port === Number(port));
      if (!node) throw new Error(`the sentinels name an unknown primary on port ${port}`);
      return node;
    },
    async stop() {
      await Promise.all(sentinels.map((sentinel) => sentinel.stop()));
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}
