// The Redis that Jest's globalSetup started, for its globalTeardown. Jest runs both in its own process
// but loads each module apart, so the handle is kept on globalThis (as Jest's docs suggest), typed
// here rather than declared as a global variable.
interface Stoppable {
  stop(): Promise<void>;
}

const shared = globalThis as typeof globalThis & { __storefrontTestRedis?: Stoppable };

export function keepTestRedis(redis: Stoppable): void {
  shared.__storefrontTestRedis = redis;
}

export async function stopTestRedis(): Promise<void> {
  const redis = shared.__storefrontTestRedis;
  shared.__storefrontTestRedis = undefined;
  await redis?.stop();
}
