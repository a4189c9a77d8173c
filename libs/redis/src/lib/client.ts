// The one door to Redis: an ioredis client for one node, a Redis Cluster or a Sentinel-named primary,
// all set to fail fast. A request never waits on a dead, frozen or failing-over Redis for much more
// than half a second, nothing queues without bound, a command is never sent twice, and the client
// reconnects by itself.
import { Cluster, Redis, type ClusterOptions, type Command, type RedisOptions } from 'ioredis';
import { redisTopologyOf, writeConcernOf, type RedisSettings, type RedisTopology, type WriteConcern } from './settings';

export interface RedisClientOptions {
  /** Shown in CLIENT LIST, to tell the services' connections apart. */
  name: string;
  /** Called for connection errors, at most once per `errorLogIntervalMs` (they repeat while Redis is down). */
  onError?: (err: Error) => void;
  /** How long a command may wait for its reply. */
  commandTimeoutMs?: number;
  /** How long a WAIT may hold the connection silent (REDIS_WAIT_TIMEOUT_MS, when writes are confirmed). */
  waitTimeoutMs?: number;
  errorLogIntervalMs?: number;
  /** Told of every command the client sends: its name, how long its reply took, whether it failed. */
  onCommand?: CommandObserver;
}

export type CommandObserver = (command: string, seconds: number, failed: boolean) => void;

export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** How long a starting service waits for Redis before it listens anyway. */
export const STARTUP_REDIS_WAIT_MS = 2_000;

/** The settings of every data connection, on every topology. */
function fastFail(options: RedisClientOptions): RedisOptions {
  const timeout = options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS;
  return {
    connectionName: options.name,
    // With Redis down, fail now instead of queueing until it returns (ioredis queues forever by default).
    enableOfflineQueue: false,
    // No per-request retries: the client decides (Retry-After), and a lost reply is never sent twice...
    maxRetriesPerRequest: 0,
    // ...nor resent by the client after a reconnect (an add applied twice, a hand-off spent twice).
    autoResendUnfulfilledCommands: false,
    // A frozen Redis keeps the socket open but never answers: bound every command...
    commandTimeout: timeout,
    // ...and drop a connection that goes silent with commands pending, so those commands do not pile
    // up for as long as Redis stays frozen; while it reconnects, requests fail at once. A WAIT keeps
    // a healthy connection silent for up to its own timeout: a connection that confirms writes may be
    // silent that much longer (dropped at the command timeout, a lagging replica dropped connections,
    // and the reads on them, in the tests).
    socketTimeout: timeout + (options.waitTimeoutMs ?? 0),
    connectTimeout: 1_000,
    // Commands issued in the same tick by concurrent requests share one socket write; each request
    // still makes exactly one round trip, with fewer system calls under load.
    enableAutoPipelining: true,
    // Reconnect forever with backoff capped at 1 s, so service resumes within seconds of Redis returning.
    retryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
  };
}

function logErrors(client: Redis | Cluster, options: RedisClientOptions): void {
  const interval = options.errorLogIntervalMs ?? 5_000;
  let lastLogged = 0;
  // Without an 'error' listener, ioredis logs every reconnect failure to stderr as unhandled.
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogged >= interval) {
      lastLogged = now;
      options.onError?.(err);
    }
  });
}

// Set on a command once it is timed: a Cluster sends a command again after a redirection or a
// failover, through the same method, and it must count once.
const TIMED = Symbol('storefront.timed');

/**
 * Times every command at the client's one door, sendCommand (plain commands, scripts, pipelines and
 * auto-pipelines all pass through it), from the call to the settled reply.
 */
function timeCommands(client: Redis | Cluster, observe: CommandObserver | undefined): void {
  if (!observe) return;
  const send = client.sendCommand.bind(client) as (command: Command, stream?: unknown, node?: unknown) => unknown;
  client.sendCommand = (command: Command & { [TIMED]?: true }, stream?: unknown, node?: unknown) => {
    if (command[TIMED]) return send(command, stream, node);
    command[TIMED] = true;
    const started = performance.now();
    const result = send(command, stream, node);
    // The name is read when the reply settles: a script's first call on a connection goes out as
    // EVAL, later ones as EVALSHA, and ioredis picks which only as it writes the command.
    command.promise.then(
      () => observe(command.name, (performance.now() - started) / 1000, false),
      () => observe(command.name, (performance.now() - started) / 1000, true),
    );
    return result;
  };
}

/** A fast-fail client for one Redis node at `url` (redis:// or rediss://, user and password in it). */
export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  const redis = new Redis(url, fastFail(options));
  logErrors(redis, options);
  timeCommands(redis, options.onCommand);
  return redis;
}

/**
 * On a Cluster one request may meet a failing-over shard twice in a row (the gateway's session check,
 * then the service's cart operation), and a command can wait out a timeout on the frozen primary and
 * then on the connection that replaces it: a shorter timeout keeps the whole request within 1 s.
 */
export const CLUSTER_COMMAND_TIMEOUT_MS = 300;

function createClusterClient(
  topology: Extract<RedisTopology, { kind: 'cluster' }>,
  options: RedisClientOptions,
): Cluster {
  const perNode = fastFail({ ...options, commandTimeoutMs: options.commandTimeoutMs ?? CLUSTER_COMMAND_TIMEOUT_MS });
  delete perNode.enableAutoPipelining;
  const clusterOptions: ClusterOptions = {
    // Only the Cluster's own setting counts; inside redisOptions ioredis ignores it.
    enableOfflineQueue: false,
    // Off on a Cluster: an auto-pipeline that meets a failing-over primary is retried whole, with
    // fresh timeouts, so its commands could wait twice; with it off, a primary frozen under load
    // gave 12 answers over 1 s instead of 61 (apps/e2e/faults/failover-under-load.spec.ts).
    enableAutoPipelining: false,
    redisOptions: {
      ...perNode,
      username: topology.username,
      password: topology.password,
      tls: topology.tls ? {} : undefined,
    },
    // A request may follow a redirection or wait out a failover this long, and no longer: 2 tries
    // 100 ms apart, each after a slot-map refresh of at most 200 ms. (The gateway's session check and
    // the service's cart operation can both meet a failover, one after the other, within the
    // contract's 1 s: with 3 tries and 1 s refreshes, a frozen primary gave answers of up to 1.2 s.)
    maxRedirections: 2,
    retryDelayOnMoved: 0,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    // Learn a new slot map without waiting for a MOVED to tell us (off unless set).
    slotsRefreshInterval: 2_000,
    // A command waiting out a failover is retried only once a slot-map refresh ends, and a refresh
    // that asks a frozen node first waits this long before it asks the next: at the default 1 s, a
    // few answers during a frozen primary's failover took 1.0 to 1.2 s.
    slotsRefreshTimeout: 200,
    clusterRetryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
    // A node's connection reconnects after it drops (the socket timeout drops a silent one). Without
    // this, ioredis gives a dropped node up and removes it from its pool: its slots' commands then go
    // to another node and come back MOVED, which ioredis follows for a single command but not for a
    // pipeline that holds a write (a confirmed write: 503 on a healthy cluster, seen in the tests).
    // A node that no longer serves slots is still dropped for good when the slot map is read again.
    clusterNodeRetryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
  };
  const cluster = new Cluster(topology.nodes, clusterOptions);
  logErrors(cluster, options);
  timeCommands(cluster, options.onCommand);
  return cluster;
}

function createSentinelClient(
  topology: Extract<RedisTopology, { kind: 'sentinel' }>,
  options: RedisClientOptions,
): Redis {
  const redis = new Redis({
    ...fastFail(options),
    sentinels: topology.sentinels,
    name: topology.name,
    username: topology.username,
    password: topology.password,
    sentinelUsername: topology.sentinel.username,
    sentinelPassword: topology.sentinel.password,
    // React to +switch-master at once instead of waiting for the old primary's connection to fail.
    failoverDetector: true,
    sentinelRetryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
    // A sentinel that accepts the connection but never answers (a frozen one) is given up on, and
    // the next one asked; without a bound the client waited for it for as long as it stayed frozen.
    sentinelCommandTimeout: options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS,
  });
  connectAgainAfterUnplannedEnd(redis);
  logErrors(redis, options);
  timeCommands(redis, options.onCommand);
  return redis;
}

/**
 * ioredis gives a Sentinel client up for good (status "end": every command fails with "Connection is
 * closed.", and it never reconnects) when a failover is announced (+switch-master) while the client,
 * reconnecting, waits for a sentinel to name the primary: the failover detector of the connection that
 * dropped closes the connector under the pending question. A service then answered 503 until it was
 * restarted (libs/redis/test/sentinel-failover.spec.ts). Unless the client is closed on purpose, it
 * connects again.
 */
function connectAgainAfterUnplannedEnd(redis: Redis): void {
  let closing = false;
  const quit = redis.quit.bind(redis);
  const disconnect = redis.disconnect.bind(redis);
  redis.quit = ((...args: Parameters<Redis['quit']>) => {
    closing = true;
    return quit(...args);
  }) as Redis['quit'];
  redis.disconnect = (reconnect = false) => {
    if (!reconnect) closing = true;
    disconnect(reconnect);
  };
  redis.on('end', () => {
    if (closing) return;
    setTimeout(() => {
      if (!closing && redis.status === 'end') redis.connect().catch(() => undefined);
    }, 50).unref();
  });
}

export interface RedisConnection {
  /** For commands and scripts: a Redis (one node, or the primary Sentinel names) or a Cluster. */
  client: Redis | Cluster;
  topology: RedisTopology['kind'];
  /** How many replicas must confirm each cart write (0: none). */
  writeConcern: WriteConcern;
  /**
   * Resolves when Redis can serve: one node or Sentinel's primary answers a PING; on a Cluster, every
   * slot is served and every primary answers (which also opens each primary's connection).
   */
  checkReady(): Promise<void>;
  /** Resolves once checkReady() passes, or rejects after `timeoutMs`. */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const ALL_SLOTS = 16_384;

/** How many slots the client's own slot map routes (the map every command is sent by). */
function slotsKnownTo(cluster: Cluster): number {
  let known = 0;
  for (let slot = 0; slot < ALL_SLOTS; slot++) if (cluster.slots[slot]?.length) known++;
  return known;
}

async function clusterReady(cluster: Cluster): Promise<void> {
  if (cluster.status !== 'ready') throw new Error(`the cluster client is ${cluster.status}`);
  // The client's own map, not only a node's: a client once read a map that lacked one primary (its
  // slots unknown, so its commands went elsewhere and came back MOVED) while every node reported
  // all slots served. Until the client's map covers every slot, it reads the map again.
  const known = slotsKnownTo(cluster);
  if (known !== ALL_SLOTS) {
    cluster.refreshSlotsCache();
    throw new Error(`the client's slot map routes ${known} of ${ALL_SLOTS} slots`);
  }
  const ranges = (await cluster.cluster('SLOTS')) as Array<[number, number, ...unknown[]]>;
  const covered = ranges.reduce((sum, [from, to]) => sum + (to - from + 1), 0);
  if (covered !== ALL_SLOTS) throw new Error(`${ALL_SLOTS - covered} slots have no primary`);
  // A primary's connection opens on its first command; until it is up, ioredis (with no offline
  // queue) refuses commands for it at once. Asking each primary here opens them all before traffic.
  await Promise.all(cluster.nodes('master').map((node) => node.ping()));
}

/** Connects to the topology the settings choose (a ConfigError for settings that choose none or two). */
export function connectRedis(settings: RedisSettings, options: RedisClientOptions): RedisConnection {
  const topology = redisTopologyOf(settings);
  const writeConcern = writeConcernOf(settings);
  if (writeConcern.replicas > 0) options = { ...options, waitTimeoutMs: writeConcern.timeoutMs };
  const client =
    topology.kind === 'cluster'
      ? createClusterClient(topology, options)
      : topology.kind === 'sentinel'
        ? createSentinelClient(topology, options)
        : createRedisClient(topology.url, options);
  const checkReady = async () => {
    if (client instanceof Cluster) await clusterReady(client);
    else await client.ping();
  };
  return {
    client,
    topology: topology.kind,
    writeConcern,
    checkReady,
    waitUntilReady: (timeoutMs = 5_000) => waitUntil(checkReady, timeoutMs),
    close: () => closeRedis(client),
  };
}

async function waitUntil(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await check();
      return;
    } catch (err) {
      last = err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`Redis was not ready within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}

/** Readiness of a single client: Redis answers a PING (within the command timeout). */
export async function pingRedis(redis: Pick<Redis, 'ping'>): Promise<void> {
  await redis.ping();
}

/** Resolves once a single client is ready to take commands, or rejects after `timeoutMs`. */
export async function waitUntilReady(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/**
 * Closes the connection: QUIT when connected (pending replies arrive first), then disconnect, which
 * also closes what QUIT leaves open (Sentinel's failover detector keeps a connection to each sentinel).
 */
export async function closeRedis(redis: Redis | Cluster): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
    } catch {
      // the connection is going anyway
    }
  }
  redis.disconnect();
}
