// How Redis failures map onto the contract: "cannot serve now" is 503 CART_UNAVAILABLE, a bug stays a bug.
import { ReplyError } from 'ioredis';
import { RedisUnavailableError, toRedisError } from '@storefront/redis';
import { AppError } from '@storefront/service-kit';

describe('toRedisError', () => {
  it.each([
    'Connection is closed.',
    'Command timed out',
    "Stream isn't writeable and enableOfflineQueue options is false",
  ])('maps the client error %p to 503 CART_UNAVAILABLE with Retry-After', (message) => {
    const mapped = toRedisError(new Error(message));
    expect(mapped).toBeInstanceOf(RedisUnavailableError);
    expect(mapped).toMatchObject({ status: 503, code: 'CART_UNAVAILABLE', headers: { 'Retry-After': '1' } });
  });

  it.each([
    'LOADING Redis is loading the dataset in memory',
    'BUSY Redis is busy running a script',
    'OOM command not allowed',
    "READONLY You can't write against a read only replica",
    'NOAUTH Authentication required.',
  ])('maps the server reply %p to 503 CART_UNAVAILABLE', (message) => {
    expect(toRedisError(new ReplyError(message))).toBeInstanceOf(RedisUnavailableError);
  });

  it('leaves any other reply error as it is, so it becomes 500 INTERNAL and gets logged', () => {
    const bug = new ReplyError('ERR Error running script: attempt to compare nil with number');
    expect(toRedisError(bug)).toBe(bug);
  });

  it('passes the contract errors through', () => {
    const limit = new AppError('CART_LIMIT', 'full', 422);
    expect(toRedisError(limit)).toBe(limit);
  });
});
