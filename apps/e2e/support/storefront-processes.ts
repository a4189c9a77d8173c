// The storefront as the images and `npm start` run it: three child processes from the built bundles
// (dist/apps/<app>/main.js), each on a port picked here, so a fault test can watch each process (exit,
// resident memory) and restart the gateway on its own port.
//
// Ports are picked here rather than read from the "listening" log line: that line is at level info,
// and under load the services log at warn (an info line per request would cost more CPU than the
// request itself on a 2-core machine). The window between picking a free port and the service binding
// it is a few milliseconds.
//
// Build the bundles first: npx nx run-many -t build -p gateway inventory checkout
import { builtApp, freePort, spawnNodeProcess, waitForAnswer, waitReady, type NodeProcess } from '@storefront/test-kit';

export type AppName = 'gateway' | 'inventory' | 'checkout';

export interface ServiceProcess extends NodeProcess {
  app: AppName;
  port: number;
  url: string;
}

function spawnService(app: AppName, port: number, env: Record<string, string>): ServiceProcess {
  const program = spawnNodeProcess({ name: app, script: builtApp(app), env: { PORT: String(port), ...env } });
  return { ...program, app, port, url: `http://127.0.0.1:${port}` };
}

/** Resolves once GET <url>/healthz answers (the process listens), or rejects after `timeoutMs`. */
export function waitListening(service: ServiceProcess, timeoutMs = 20_000): Promise<void> {
  return waitForAnswer(`${service.url}/healthz`, { timeoutMs, process: service });
}

export interface StorefrontOptions {
  /** The Redis every service uses, unless `redisUrls` names another for one of them. */
  redisUrl?: string;
  /** Instead of `redisUrl`: the environment that chooses another topology (REDIS_CLUSTER_NODES, REDIS_SENTINELS). */
  redisEnv?: Record<string, string>;
  /** Per service: e.g. inventory through a fault proxy, the others straight to Redis. */
  redisUrls?: Partial<Record<AppName, string>>;
  secret: string;
  prefix: string;
  /** Per service; default warn. */
  logLevels?: Partial<Record<AppName, string>>;
  /** Added to every service's environment. */
  env?: Record<string, string>;
  /** Wait for /readyz of all three (default true; false when Redis is meant to be down). */
  waitForReady?: boolean;
  /** How long each may take to listen (default 20 s; loading the tracing SDK takes longer). */
  listenTimeoutMs?: number;
}

export interface StorefrontProcesses {
  gateway: ServiceProcess;
  inventory: ServiceProcess;
  checkout: ServiceProcess;
  all(): ServiceProcess[];
  /** The services that exited although no test stopped them. */
  unexpectedExits(): string[];
  /**
   * SIGTERM to the gateway, wait for it to exit (SIGKILL after `graceMs`, default 15 s: longer than the
   * services' own 10 s drain), start a new one on the same port. Says how long the old one took to go.
   */
  restartGateway(options?: { afterExit?: () => Promise<void> | void; graceMs?: number }): Promise<{
    exitCode: number | null;
    exitSignal: NodeJS.Signals | null;
    exitMs: number;
  }>;
  stop(): Promise<void>;
}

export async function startStorefrontProcesses(options: StorefrontOptions): Promise<StorefrontProcesses> {
  const envOf = (app: AppName): Record<string, string> => ({
    ...(options.redisEnv ?? { REDIS_URL: options.redisUrls?.[app] ?? (options.redisUrl as string) }),
    GATEWAY_SECRET: options.secret,
    REDIS_KEY_PREFIX: options.prefix,
    LOG_LEVEL: options.logLevels?.[app] ?? 'warn',
    // Tests run several storefronts at once: none takes the default METRICS_PORT unless a test asks.
    METRICS_PORT: '0',
    ...options.env,
  });
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort()); // the OS may hand the same free port out twice
  const [inventoryPort, checkoutPort, gatewayPort] = [...ports];
  const stopping = new Set<ServiceProcess>();
  const started: ServiceProcess[] = [];
  const startOne = (app: AppName, port: number, extra: Record<string, string> = {}) => {
    const service = spawnService(app, port, { ...envOf(app), ...extra });
    started.push(service);
    return service;
  };
  const stopOne = async (service: ServiceProcess, graceMs?: number) => {
    stopping.add(service);
    return service.stop(graceMs);
  };
  try {
    const inventory = startOne('inventory', inventoryPort);
    const checkout = startOne('checkout', checkoutPort);
    const gatewayEnv = { INVENTORY_URL: inventory.url, CHECKOUT_URL: checkout.url };
    let gateway = startOne('gateway', gatewayPort, gatewayEnv);
    await Promise.all([inventory, checkout, gateway].map((service) => waitListening(service, options.listenTimeoutMs)));
    if (options.waitForReady !== false) await waitReady([inventory.url, checkout.url, gateway.url]);

    const front: StorefrontProcesses = {
      get gateway() {
        return gateway;
      },
      inventory,
      checkout,
      all: () => [gateway, inventory, checkout],
      unexpectedExits: () =>
        started
          .filter((service) => service.exit() && !stopping.has(service))
          .map((service) => `${service.app} (pid ${service.pid}) exited ${JSON.stringify(service.exit())}`),
      async restartGateway(restart = {}) {
        const old = gateway;
        const sentAt = Date.now();
        await stopOne(old, restart.graceMs ?? 15_000);
        const exitMs = Date.now() - sentAt;
        await restart.afterExit?.();
        gateway = startOne('gateway', gatewayPort, gatewayEnv);
        await waitListening(gateway);
        return { exitCode: old.exit()?.code ?? null, exitSignal: old.exit()?.signal ?? null, exitMs };
      },
      async stop() {
        // The gateway first: the services then have no connection from it left to drain.
        await Promise.all(started.filter((s) => s.app === 'gateway').map((s) => stopOne(s)));
        await Promise.all(started.map((s) => stopOne(s)));
      },
    };
    return front;
  } catch (err) {
    await Promise.all(started.map((s) => stopOne(s)));
    throw err;
  }
}

/**
 * Resident memory of each service, sampled every 100 ms: the idle figure when the watch starts, the
 * peak before the fault (under the load's own steady state) and the peak from the fault on.
 *
 * Why the fault is judged against the load's level and not the idle one: a Node process grows its
 * heap under load whatever Redis does. At the specs' load (50 connections, 400 requests per second)
 * the gateway and inventory go from about 75 MB idle to a plateau of 110-140 MB within about 6 s and
 * stay there, with no fault at all (40 s measured when these specs were written; as fast as answered,
 * about 1500 per second, the plateau is 115-145 MB for a minute). Memory that piled up because Redis
 * was gone shows as growth over that plateau.
 */
export function watchMemory(services: () => ServiceProcess[]) {
  const idle: Record<string, number> = {};
  for (const service of services()) idle[service.app] = service.rssMb();
  const beforeFault = { ...idle };
  const fromFault = { ...idle };
  let faulted = false;
  const timer = setInterval(() => {
    for (const service of services()) {
      if (service.exit()) continue;
      const peak = faulted ? fromFault : beforeFault;
      try {
        peak[service.app] = Math.max(peak[service.app] ?? 0, service.rssMb());
      } catch {
        // the process is exiting: it has no /proc entry left to read
      }
    }
  }, 100);
  const growthMb = (): Record<string, number> =>
    Object.fromEntries(Object.keys(idle).map((app) => [app, fromFault[app] - beforeFault[app]]));
  return {
    /** From now on, samples count as "from the fault on". */
    faultStarts() {
      faulted = true;
    },
    stop() {
      clearInterval(timer);
    },
    /** Peak from the fault on, minus peak before it, per service. */
    growthMb,
    summary(): string {
      const growth = growthMb();
      return (
        'RSS MB idle/peak under load before the fault/peak from the fault on (growth): ' +
        Object.keys(idle)
          .map(
            (app) =>
              `${app} ${idle[app].toFixed(1)}/${beforeFault[app].toFixed(1)}/${fromFault[app].toFixed(1)} ` +
              `(+${growth[app].toFixed(1)})`,
          )
          .join(', ')
      );
    },
  };
}
