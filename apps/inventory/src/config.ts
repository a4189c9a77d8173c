import { z } from 'zod';
import { cartServiceEnv } from '@storefront/cart-cache';
import { envVar, readConfig } from '@storefront/service-kit';

const inventoryEnv = z.object({
  ...cartServiceEnv,
  PORT: envVar.port(3001),
  // GET /metrics, on a port of its own; 0 turns it off.
  METRICS_PORT: envVar.port(9101),
});

export type InventoryConfig = z.infer<typeof inventoryEnv>;

export function readInventoryConfig(env: NodeJS.ProcessEnv = process.env): InventoryConfig {
  return readConfig(inventoryEnv, env);
}
