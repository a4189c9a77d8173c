// Sessions, the stub for authentication: POST /session issues an opaque token; Redis keeps only a
// keyed hash of it, which is also the shopper id handed to the services (never the token itself).
import { createHmac, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CartUnavailableError } from '@storefront/cart-cache';
import { deriveKey } from '@storefront/service-kit';

// 32 random bytes in base64url: 256 bits, 43 URL-safe characters.
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface SessionStoreOptions {
  redis: Redis;
  secret: string;
  prefix: string;
  ttlSeconds: number;
}

export function createSessionStore({ redis, secret, prefix, ttlSeconds }: SessionStoreOptions) {
  const idKey = deriveKey(secret, 'session-id');
  const shopperIdOf = (token: string) => createHmac('sha256', idKey).update(token).digest('base64url').slice(0, 32);
  const keyOf = (shopperId: string) => `${prefix}session:${shopperId}`;

  const redisCall = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw new CartUnavailableError(err);
    }
  };

  return {
    ttlSeconds,
    /** Issues a new token; the session expires after ttlSeconds without use. */
    async create(): Promise<string> {
      const token = randomBytes(TOKEN_BYTES).toString('base64url');
      await redisCall(() => redis.set(keyOf(shopperIdOf(token)), Date.now(), 'EX', ttlSeconds, 'NX'));
      return token;
    },
    /** The shopper id of a token this gateway issued and that has not expired; slides the expiry. */
    async verify(token: string): Promise<string | undefined> {
      // A token of another shape was never issued: no need to ask Redis.
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const shopperId = shopperIdOf(token);
      const found = await redisCall(() => redis.getex(keyOf(shopperId), 'EX', ttlSeconds));
      return found === null ? undefined : shopperId;
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
