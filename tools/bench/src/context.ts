// What every part of a bench run shares: its settings, the running processes and the bench's own
// connections to Redis.
import type { Redis } from 'ioredis';
import type { CartCache } from '@storefront/cart-cache';
import type { IdentityHandoff } from '@storefront/service-kit';
import type { NodeService } from '@storefront/test-kit';
import type { Settings } from './settings';

export interface BenchContext {
  settings: Settings;
  /** The storefront's services and the baselines (bare Express, the article's approach bare and in the shell). */
  services: Record<'inventory' | 'checkout' | 'gateway' | 'bare' | 'article' | 'articleShell', NodeService>;
  /** Every process whose CPU and memory a run reports, the load generator (this process) included. */
  processes(): { name: string; pid: number }[];
  /** The bench's control connection: INFO, FLUSHALL, reading results back. Idle during a measured run. */
  control: Redis;
  /** The cart library on a connection of its own, to lay out data sets. */
  carts: CartCache;
  /** Signs the gateway's identity hand-off for requests made straight to a service. */
  handoff: IdentityHandoff;
}
