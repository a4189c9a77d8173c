// What every part of a bench run shares: the running processes, the Redis connections of the bench
// itself, and the settings of the mode (full or --quick).
import type { Redis } from 'ioredis';
import type { CartCache } from '@storefront/cart-cache';
import type { IdentityHandoff } from '@storefront/service-kit';
import type { BenchProcess, NodeService, RedisServer } from './processes';

export interface Settings {
  mode: 'full' | 'quick';
  /**
   * Rounds interleave the scenarios, and figures are medians over rounds. The add-to-cart comparison
   * scenarios (the ratio targets) run in every round, the others in the first `otherRounds`.
   */
  rounds: number;
  otherRounds: number;
  /** About how long each measured run lasts (its request count is set from the warm-up's rate). */
  secondsPerRun: number;
  warmUpRequests: number;
  connections: number;
  /** Shoppers in the many-shoppers scenarios. */
  shoppers: number;
  /** Requests per operation in the MONITOR round-trip check. */
  probeRequests: number;
  /** Requests per command for redis-benchmark. */
  redisBenchmarkRequests: number;
  profile: boolean;
  outDir: string;
  /** Rewrite the generated part of docs/PERFORMANCE.md. */
  updatePerformanceDoc: boolean;
  keepLogs: boolean;
  /** Scenario ids to run, when not all. */
  only?: string[];
  /** Where the services' bundles are (dist/apps unless comparing another build). */
  appsDir: string;
  /** A results.json to write the reports from, measuring nothing. */
  render?: string;
}

export interface Services {
  inventory: NodeService;
  checkout: NodeService;
  gateway: NodeService;
  /** The bare Express 5 route: the ceiling for an Express service. */
  bare: NodeService;
  /** The article's approach: GET the JSON cart, change it, SET it back. */
  article: NodeService;
  /** The same inside the storefront's service shell (its checks and logging): the like-for-like comparison. */
  articleShell: NodeService;
}

export interface BenchContext {
  settings: Settings;
  redis: RedisServer;
  services: Services;
  /** Every process whose CPU a run reports, the load generator (this process) included. */
  processes(): BenchProcess[];
  /** The bench's control connection: INFO, FLUSHALL, reading results back. Idle during a measured run. */
  control: Redis;
  /** The cart library on a connection of its own, to lay out data sets in one round trip per line. */
  carts: CartCache;
  /** Signs the gateway's identity hand-off for requests made straight to a service. */
  handoff: IdentityHandoff;
  /** The storefront's key prefix, for finding its keys in Redis. */
  prefix: string;
  /** A temporary directory for logs and profiles, removed at the end. */
  workDir: string;
  /** Restarts a storefront service with extra Node flags (profiling), on the same port. */
  restart(name: 'inventory' | 'gateway', nodeArgs: string[]): Promise<void>;
}
