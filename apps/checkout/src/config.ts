import { z } from 'zod';
import { cartServiceEnv } from '@storefront/cart-cache';
import { envVar, readConfig } from '@storefront/service-kit';

const checkoutEnv = z.object({
  ...cartServiceEnv,
  PORT: envVar.port(3002),
  // GET /metrics, on a port of its own; 0 turns it off.
  METRICS_PORT: envVar.port(9102),
});

export type CheckoutConfig = z.infer<typeof checkoutEnv>;

export function readCheckoutConfig(env: NodeJS.ProcessEnv = process.env): CheckoutConfig {
  return readConfig(checkoutEnv, env);
}
