// Checkout: PATCH /Cart/checkout over the shared cart cache.
import type { Express } from 'express';
import type { CartCache } from '@storefront/cart-cache';
import { createServiceApp, type IdentityHandoff, type Logger } from '@storefront/service-kit';
import type { PaymentProcessor } from './payment';
import { checkoutRoutes } from './routes/checkout';

export interface CheckoutDeps {
  carts: CartCache;
  handoff: IdentityHandoff;
  payments: PaymentProcessor;
  logger: Logger;
  checkReady: () => Promise<unknown>;
}

export function createApp(deps: CheckoutDeps): Express {
  return createServiceApp({
    name: 'checkout',
    logger: deps.logger,
    checkReady: deps.checkReady,
    routes: (app) => {
      app.use(checkoutRoutes(deps));
    },
  });
}
