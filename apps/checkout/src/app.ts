// Checkout: PATCH /Cart/checkout over the shared cart cache.
import type { Express } from 'express';
import type { CartCache } from '@storefront/cart-cache';
import { createServiceApp, type IdentityHandoff, type Logger, type RequestObserver } from '@storefront/service-kit';
import type { CheckoutOutcome } from './checkout-outcome';
import type { PaymentProcessor } from './payment';
import { checkoutRoutes } from './routes/checkout';

export interface CheckoutDeps {
  carts: CartCache;
  handoff: IdentityHandoff;
  payments: PaymentProcessor;
  logger: Logger;
  checkReady: () => Promise<unknown>;
  /** The request duration and checkouts metrics. */
  observeRequest?: RequestObserver;
  onCheckout?: (outcome: CheckoutOutcome) => void;
}

export function createApp(deps: CheckoutDeps): Express {
  // The deps carry what the service shell needs too: its logger, readiness check and request metric.
  return createServiceApp({
    ...deps,
    name: 'checkout',
    routes: (app) => {
      app.use(checkoutRoutes(deps));
    },
  });
}
