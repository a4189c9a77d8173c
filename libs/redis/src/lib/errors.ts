// How Redis failures map onto the contract: "cannot serve now" is 503 CART_UNAVAILABLE with
// Retry-After; any other reply error is a bug in our commands and stays as it is (500 INTERNAL).
import { ReplyError } from 'ioredis';
import { AppError, errors } from '@storefront/service-kit';

export class RedisUnavailableError extends AppError {
  constructor(cause?: unknown) {
    const { code, message, status, headers } = errors.cartUnavailable();
    super(code, message, status, headers);
    this.name = 'RedisUnavailableError';
    this.cause = cause;
  }
}

// Replies that mean "Redis cannot serve right now", as opposed to a bug in our commands. MOVED and
// ASK reach us only when the client could not follow them in time (a pipeline that meets a slot
// moving during a failover is not retried by ioredis): the slot map is changing, not our commands.
const UNAVAILABLE_REPLIES =
  /^(LOADING|BUSY|OOM|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|MOVED|ASK|NOAUTH|WRONGPASS|NOPERM)\b/;

/**
 * Turns what ioredis rejects with into the contract's errors: no connection, a timeout or a server
 * that cannot serve is 503 CART_UNAVAILABLE; any other reply error is a bug and stays as it is (500).
 */
export function toRedisError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof ReplyError && !UNAVAILABLE_REPLIES.test((err as Error).message)) return err;
  return new RedisUnavailableError(err);
}
