// Sessions, the stub for authentication: POST /session issues an opaque token; Redis keeps only a
// keyed hash of it, which is also the shopper id handed to the services (never the token itself).
// Rate limiting shares the same Redis and the same round trip: checking a session also counts the
// request against the shopper's budget for the current minute, in one script.
import { createHmac, randomBytes } from 'node:crypto';
import type { Cluster, Redis, Result } from 'ioredis';
import { toRedisError } from '@storefront/redis';
import { deriveKey, errors } from '@storefront/service-kit';

// 32 random bytes in base64url: 256 bits, 43 URL-safe characters.
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const WINDOW_MS = 60_000;

// The session check: slides the session's expiry and counts the request against the shopper's budget
// for this minute (its counter shares the session's hash slot). A limit of 0 counts nothing.
const VERIFY_AND_COUNT = `
local session, counter = KEYS[1], KEYS[2]
local session_ttl_s, limit, window_ms = ARGV[1], ARGV[2], ARGV[3]
if not redis.call('GETEX', session, 'EX', session_ttl_s) then return {'NO_SESSION'} end
if limit == '0' then return {'OK'} end
local count = redis.call('INCR', counter)
if count == 1 then redis.call('PEXPIRE', counter, window_ms) end
if count > tonumber(limit) then return {'LIMITED', redis.call('PTTL', counter)} end
return {'OK'}
`;

// One request against a budget for this minute (sessions per client address).
const COUNT = `
local counter = KEYS[1]
local limit, window_ms = ARGV[1], ARGV[2]
local count = redis.call('INCR', counter)
if count == 1 then redis.call('PEXPIRE', counter, window_ms) end
if count > tonumber(limit) then return {'LIMITED', redis.call('PTTL', counter)} end
return {'OK'}
`;

// The scripts as commands of every ioredis client and cluster (defineCommand adds them).
declare module 'ioredis' {
  interface RedisCommander<Context> {
    storefrontSessionVerify(
      session: string,
      counter: string,
      sessionTtlSeconds: number,
      limit: number,
      windowMs: number,
    ): Result<unknown, Context>;
    storefrontRateCount(counter: string, limit: number, windowMs: number): Result<unknown, Context>;
  }
}

export interface SessionStoreOptions {
  redis: Redis | Cluster;
  secret: string;
  prefix: string;
  ttlSeconds: number;
  /** Requests per minute per session on cart routes, and sessions per minute per address; 0 turns it off. */
  rateLimitPerMinute: number;
}

export function createSessionStore({ redis, secret, prefix, ttlSeconds, rateLimitPerMinute }: SessionStoreOptions) {
  const idKey = deriveKey(secret, 'session-id');
  const addressKey = deriveKey(secret, 'client-address');
  const shopperIdOf = (token: string) => createHmac('sha256', idKey).update(token).digest('base64url').slice(0, 32);
  // Fixed one-minute windows, named by their number so every gateway replica counts in the same key.
  const windowOf = (now: number) => Math.floor(now / WINDOW_MS);
  const windowLeftMs = (now: number) => WINDOW_MS - (now % WINDOW_MS);

  redis.defineCommand('storefrontSessionVerify', { lua: VERIFY_AND_COUNT, numberOfKeys: 2 });
  redis.defineCommand('storefrontRateCount', { lua: COUNT, numberOfKeys: 1 });

  const redisCall = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw toRedisError(err);
    }
  };
  const limitedOrOk = (reply: unknown) => {
    const [status, pttl] = reply as [string, number?];
    if (status === 'LIMITED') throw errors.rateLimited(Math.max(1, Math.ceil(Number(pttl) / 1000)));
    return status;
  };

  return {
    ttlSeconds,
    /**
     * Issues a new token (at most rateLimitPerMinute per client address); the session expires after
     * ttlSeconds without use.
     */
    async create(clientAddress: string): Promise<string> {
      const now = Date.now();
      if (rateLimitPerMinute > 0) {
        // The address is hashed like everything else we key on: no client data in key names.
        const address = createHmac('sha256', addressKey).update(clientAddress).digest('base64url').slice(0, 22);
        const counter = `${prefix}ratelimit:{address:${address}}:${windowOf(now)}`;
        limitedOrOk(await redisCall(() => redis.storefrontRateCount(counter, rateLimitPerMinute, windowLeftMs(now))));
      }
      const token = randomBytes(TOKEN_BYTES).toString('base64url');
      await redisCall(() => redis.set(`${prefix}session:{${shopperIdOf(token)}}`, now, 'EX', ttlSeconds, 'NX'));
      return token;
    },
    /**
     * The shopper id of a token this gateway issued and that has not expired, sliding its expiry and
     * counting the request against the shopper's rate limit (429 past it). One round trip.
     */
    async verify(token: string): Promise<string | undefined> {
      // A token of another shape was never issued: no need to ask Redis.
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const now = Date.now();
      const shopperId = shopperIdOf(token);
      const reply = await redisCall(() =>
        redis.storefrontSessionVerify(
          `${prefix}session:{${shopperId}}`,
          `${prefix}ratelimit:{${shopperId}}:${windowOf(now)}`,
          ttlSeconds,
          rateLimitPerMinute,
          windowLeftMs(now),
        ),
      );
      return limitedOrOk(reply) === 'OK' ? shopperId : undefined;
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
