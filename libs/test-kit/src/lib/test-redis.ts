// Where the tests get a real Redis, in this order (README "How the tests find a Redis"):
//   1. a throwaway container through @testcontainers/redis, where a Docker engine answers
//      (image from REDIS_IMAGE, default redis:7.4-alpine);
//   2. REDIS_URL;
//   3. a redis-server found on PATH, started on a free port and stopped after;
//   4. otherwise a clear error saying how to get one.
import { existsSync } from 'node:fs';
import { findOnPath, startRedisProcess, type RedisProcess } from './redis-server';

export type TestRedisSource = 'testcontainers' | 'REDIS_URL' | 'redis-server';

export interface TestRedis {
  url: string;
  source: TestRedisSource;
  stop(): Promise<void>;
}

export const DEFAULT_REDIS_IMAGE = 'redis:7.4-alpine';

const NO_REDIS_HELP = [
  'The tests need a real Redis and found none. Any one of these works:',
  '  - start a Docker engine (the tests then run Redis in a throwaway container; REDIS_IMAGE picks the image),',
  '  - set REDIS_URL to a Redis the tests may write to (they only touch keys under their own prefixes),',
  '  - install redis-server (Debian/Ubuntu: apt-get install redis-server) so it is on PATH.',
].join('\n');

/** True when a Docker engine is likely to answer: DOCKER_HOST is set or the default socket exists. */
function dockerLikely(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function startContainer(): Promise<TestRedis | undefined> {
  if (!dockerLikely()) return undefined;
  try {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer(process.env.REDIS_IMAGE || DEFAULT_REDIS_IMAGE).start();
    return {
      url: container.getConnectionUrl(),
      source: 'testcontainers',
      stop: async () => void (await container.stop()),
    };
  } catch (err) {
    // A socket without a working engine (or an image that cannot be had): fall through to the next way.
    process.stderr.write(
      `testcontainers could not start Redis (${(err as Error).message.split('\n')[0]}); trying the next way\n`,
    );
    return undefined;
  }
}

/** Gets a Redis for a test run, in the order above. */
export async function startTestRedis(): Promise<TestRedis> {
  const container = await startContainer();
  if (container) return container;
  if (process.env.REDIS_URL) {
    return { url: process.env.REDIS_URL, source: 'REDIS_URL', stop: async () => undefined };
  }
  const binary = findOnPath('redis-server');
  if (binary) {
    const proc = await startRedisProcess(binary);
    return { url: proc.url, source: 'redis-server', stop: () => proc.stop() };
  }
  throw new Error(NO_REDIS_HELP);
}

/**
 * A Redis of a test's own that it may freeze, kill and restart: a redis-server child process. Fault
 * tests need the process itself, so REDIS_URL cannot serve here; a container stands in when Docker
 * answers and redis-server is not installed.
 */
export async function startControllableRedis(extraArgs: string[] = []): Promise<RedisProcess> {
  const binary = findOnPath('redis-server');
  if (binary) return startRedisProcess(binary, extraArgs);
  if (dockerLikely()) return startControllableContainer(extraArgs);
  throw new Error(`Fault tests need redis-server on PATH or a Docker engine.\n${NO_REDIS_HELP}`);
}

async function startControllableContainer(extraArgs: string[]): Promise<RedisProcess> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  const { freePort } = await import('./redis-server');
  const port = await freePort();
  const started = await new GenericContainer(process.env.REDIS_IMAGE || DEFAULT_REDIS_IMAGE)
    .withCommand(['redis-server', '--save', '', '--protected-mode', 'no', ...extraArgs])
    .withExposedPorts({ container: 6379, host: port })
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start();
  const client = await getContainerRuntimeClient();
  const container = client.container.getById(started.getId());
  const waitReady = async () => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { State } = await container.inspect();
      if (State.Running) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => undefined,
    freeze: () => void container.pause(),
    thaw: () => void container.unpause(),
    kill: async () => void (await container.kill()),
    start: async () => {
      await container.start();
      await waitReady();
    },
    stop: async () => void (await started.stop()),
  };
}

export type { RedisProcess } from './redis-server';
