import { stopTestRedis } from './jest-redis-handle';

export default async function globalTeardown(): Promise<void> {
  await stopTestRedis();
}
