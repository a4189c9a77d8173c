export {
  STARTUP_REDIS_WAIT_MS,
  closeRedis,
  connectRedis,
  createRedisClient,
  pingRedis,
  waitUntilReady,
  type CommandObserver,
  type RedisClientOptions,
  type RedisConnection,
} from './lib/client';
export { createConfirmedWrites } from './lib/confirmed-writes';
export { RedisUnavailableError, toRedisError } from './lib/errors';
export {
  DEFAULT_REDIS_URL,
  redisEnv,
  redisTopologyOf,
  type RedisSettings,
  type RedisTopology,
  type WriteConcern,
} from './lib/settings';
