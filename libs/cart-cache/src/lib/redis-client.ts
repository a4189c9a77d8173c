// The ioredis client for the request path, set to fail fast: a request never waits on a dead or
// frozen Redis for more than about half a second, and the client reconnects by itself.
import { Redis } from 'ioredis';

export interface RedisClientOptions {
  /** Shown in CLIENT LIST, to tell the services' connections apart. */
  name: string;
  /** Called for connection errors, at most once per `errorLogIntervalMs` (they repeat while Redis is down). */
  onError?: (err: Error) => void;
  /** How long a command may wait for its reply. */
  commandTimeoutMs?: number;
  errorLogIntervalMs?: number;
}

export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** How long a starting service waits for Redis before it listens anyway. */
export const STARTUP_REDIS_WAIT_MS = 2_000;

export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  const redis = new Redis(url, {
    connectionName: options.name,
    // With Redis down, fail now instead of queueing until it returns (ioredis queues forever by default).
    enableOfflineQueue: false,
    // No per-request retries: the client decides (Retry-After), and a lost reply is never sent twice.
    maxRetriesPerRequest: 0,
    // A frozen Redis keeps the socket open but never answers: bound every command...
    commandTimeout: options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS,
    // ...and drop a connection that goes silent with commands pending, so those commands do not pile
    // up for as long as Redis stays frozen; while it reconnects, requests fail at once.
    socketTimeout: options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 1_000,
    // Commands issued in the same tick by concurrent requests share one socket write; each request
    // still makes exactly one round trip, with fewer system calls under load.
    enableAutoPipelining: true,
    // Reconnect forever with backoff capped at 1 s, so service resumes within seconds of Redis returning.
    retryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
  });
  const interval = options.errorLogIntervalMs ?? 5_000;
  let lastLogged = 0;
  // Without an 'error' listener, ioredis logs every reconnect failure to stderr as unhandled.
  redis.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogged >= interval) {
      lastLogged = now;
      options.onError?.(err);
    }
  });
  return redis;
}

/** Readiness: Redis answers a PING (within the command timeout). */
export async function pingRedis(redis: Pick<Redis, 'ping'>): Promise<void> {
  await redis.ping();
}

/** Resolves once the client is ready to take commands, or rejects after `timeoutMs`. */
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

/** Closes the connection: QUIT when connected (pending replies arrive first), otherwise just drop it. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through: the connection is going anyway
    }
  }
  redis.disconnect();
}
