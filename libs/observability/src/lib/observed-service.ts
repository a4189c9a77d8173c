// How every service goes live with its metrics: the app on its public port, GET /metrics on its own,
// and a stop() that drains in the order that loses nothing.
import type { Express } from 'express';
import { boundPort, closeServer, listen, type RunningService } from '@storefront/service-kit';
import { startMetricsServer } from './metrics-server';
import type { ServiceMetrics } from './service-metrics';
import { flushTracing } from './tracing';

export interface ObservedServiceOptions {
  port: number;
  /** GET /metrics's own port; 0 serves no metrics. */
  metricsPort: number;
  metrics: ServiceMetrics;
  /** What the service holds besides its servers (Redis, connection pools), closed once requests drained. */
  closeResources: () => Promise<void>;
}

/**
 * Listens with `app` and serves its metrics. stop() stops taking requests and lets those in flight
 * finish, closes the metrics port, then the resources, then sends the spans of the last requests
 * (nothing when tracing is off).
 */
export async function listenObserved(app: Express, options: ObservedServiceOptions): Promise<RunningService> {
  const metricsServer = await startMetricsServer(options.metrics.render, options.metricsPort);
  const server = await listen(app, options.port);
  return {
    port: boundPort(server),
    metricsPort: metricsServer?.port,
    async stop() {
      await closeServer(server);
      await metricsServer?.close();
      await options.closeResources();
      await flushTracing();
    },
  };
}
