export {
  REDIS_COMMAND_TIMEOUT_MS,
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
export { createConfirmedWrites, type ConfirmedWrites } from './lib/confirmed-writes';
export { RedisUnavailableError, toRedisError } from './lib/errors';
export {
  DEFAULT_REDIS_URL,
  redisEnv,
  redisTopologyOf,
  type HostPort,
  type RedisSettings,
  type RedisTopology,
  type WriteConcern,
} from './lib/settings';
