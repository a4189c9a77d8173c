// The storefront's metrics, one set per running service: what each request, cart operation, Redis
// command and checkout adds, and what is read at scrape time (Redis readiness, the process). Every
// name and label is defined here, so docs/OBSERVABILITY.md and the dashboard have one place to match.
import type { Request, RequestHandler, Response } from 'express';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CounterFamily, HistogramFamily, SeriesIndex, type CounterSeries } from './metric-families';

/** Request durations, from a fast cart change to the gateway's 5 s upstream deadline. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Redis commands, bounded by the client's 500 ms command timeout. */
const REDIS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** The route label of a request no route matched (a 404): never the raw path, which a client chooses. */
export const UNMATCHED_ROUTE = 'unmatched';

export const CART_OPERATIONS = ['read', 'add', 'set', 'remove'] as const;
export const CART_OUTCOMES = ['ok', 'limit', 'unavailable', 'other'] as const;
export type CartOperationName = (typeof CART_OPERATIONS)[number];
export type CartOperationOutcome = (typeof CART_OUTCOMES)[number];

export const CHECKOUT_OUTCOMES = [
  'placed',
  'declined',
  'empty',
  'replayed',
  'conflict',
  'refused',
  'unavailable',
  'failed',
] as const;
export type CheckoutOutcome = (typeof CHECKOUT_OUTCOMES)[number];

// The process metrics (CPU, memory, event loop, GC) belong to the process, not to one service in it:
// registered once, however many services a test runs in one process.
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Counters over a fixed set of label values, all created (at 0) up front. */
function fixedCounters<K extends string>(family: CounterFamily, values: readonly K[]): Record<K, CounterSeries> {
  return Object.fromEntries(values.map((value) => [value, family.series([value])])) as Record<K, CounterSeries>;
}

export type ServiceMetrics = ReturnType<typeof createServiceMetrics>;

/** The metrics of one service. Each `…Observer()` registers its metrics, so call each at most once. */
export function createServiceMetrics() {
  const families: (CounterFamily | HistogramFamily)[] = [];
  const gauges = new Registry();
  const family = <F extends CounterFamily | HistogramFamily>(created: F) => {
    if (families.some((known) => known.name === created.name)) {
      throw new Error(`@storefront/observability: ${created.name} is registered already`);
    }
    families.push(created);
    return created;
  };

  return {
    /** The exposition served on GET /metrics. */
    async render(): Promise<string> {
      const parts = families.map((known) => known.render());
      parts.push(await gauges.metrics(), await processMetrics().metrics());
      return `${parts.map((part) => part.trim()).join('\n\n')}\n`;
    },

    /** Records a finished request: method, route pattern (see routeLabel) and status. */
    requestObserver(): (req: Request, res: Response, seconds: number) => void {
      const durations = family(
        new HistogramFamily(
          'http_request_duration_seconds',
          'Time from a request’s arrival to the end of its response, by method, route pattern and status.',
          ['method', 'route', 'status'],
          REQUEST_BUCKETS,
        ),
      );
      const index = new SeriesIndex((values) => durations.series(values));
      return (req, res, seconds) => {
        const route: unknown = res.locals.metricsRoute ?? req.route?.path;
        const label = typeof route === 'string' ? route : route === undefined ? UNMATCHED_ROUTE : String(route);
        durations.observe(index.get3(req.method, label, res.statusCode), seconds);
      };
    },

    /** Counts cart operations by operation and outcome. */
    cartOperationObserver(): (operation: CartOperationName, outcome: CartOperationOutcome) => void {
      const counts = family(
        new CounterFamily(
          'storefront_cart_operations_total',
          'Cart reads and changes, by operation and outcome ' +
            '(ok, limit: refused by a cart limit, unavailable: Redis did not answer, other).',
          ['operation', 'outcome'],
        ),
      );
      const series = Object.fromEntries(
        CART_OPERATIONS.map((operation) => [
          operation,
          Object.fromEntries(CART_OUTCOMES.map((outcome) => [outcome, counts.series([operation, outcome])])),
        ]),
      ) as Record<CartOperationName, Record<CartOperationOutcome, CounterSeries>>;
      return (operation, outcome) => {
        series[operation][outcome].value++;
      };
    },

    /** Times Redis commands by command name, and counts the ones that failed. */
    redisCommandObserver(): (command: string, seconds: number, failed: boolean) => void {
      const durations = family(
        new HistogramFamily(
          'storefront_redis_command_duration_seconds',
          'Time from sending a Redis command to its reply or failure, by command.',
          ['command'],
          REDIS_BUCKETS,
        ),
      );
      const errors = family(
        new CounterFamily(
          'storefront_redis_command_errors_total',
          'Redis commands that failed (an error reply, a timeout, no connection), by command.',
          ['command'],
        ),
      );
      const timings = new SeriesIndex((values) => durations.series(values));
      const failures = new SeriesIndex((values) => errors.series(values));
      return (command, seconds, failed) => {
        durations.observe(timings.get1(command), seconds);
        if (failed) failures.get1(command).value++;
      };
    },

    /** The observers of a service's cart connection (connectCarts' options): operations and Redis commands. */
    cartConnectionObservers() {
      return { onCartOperation: this.cartOperationObserver(), onRedisCommand: this.redisCommandObserver() };
    },

    /** Counts finished checkouts by outcome. */
    checkoutObserver(): (outcome: CheckoutOutcome) => void {
      const counts = family(
        new CounterFamily(
          'storefront_checkouts_total',
          'PATCH /Cart/checkout requests by outcome: placed, declined, empty, replayed (an Idempotency-Key answer), ' +
            'conflict (409), refused (another 4xx), unavailable (503), failed (500).',
          ['outcome'],
        ),
      );
      const series = fixedCounters(counts, CHECKOUT_OUTCOMES);
      return (outcome) => {
        series[outcome].value++;
      };
    },

    /** 1 while `checkReady` (the service's /readyz check) passes, read at each scrape. */
    watchRedisReadiness(checkReady: () => Promise<unknown>): void {
      new Gauge({
        name: 'storefront_redis_ready',
        help: 'Whether Redis can serve this service (the /readyz check): 1 or 0, checked at each scrape.',
        registers: [gauges],
        async collect() {
          this.set(
            await checkReady().then(
              () => 1,
              () => 0,
            ),
          );
        },
      });
    },
  };
}

/**
 * Names the route of requests handled by a mounted middleware (the gateway's proxies), which Express
 * gives no route pattern: `app.use('/Cart', routeLabel('/Cart'), proxy)`.
 */
export function routeLabel(pattern: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.metricsRoute = pattern;
    next();
  };
}
