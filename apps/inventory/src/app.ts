// Inventory: the catalog of badger paraphernalia, and every change to a shopper's cart.
import type { Express } from 'express';
import type { CartCache } from '@storefront/cart-cache';
import { createServiceApp, type IdentityHandoff, type Logger, type RequestObserver } from '@storefront/service-kit';
import { cartRoutes } from './routes/cart';
import { itemRoutes } from './routes/items';

export interface InventoryDeps {
  carts: CartCache;
  handoff: IdentityHandoff;
  logger: Logger;
  checkReady: () => Promise<unknown>;
  /** The request duration metric. */
  observeRequest?: RequestObserver;
}

export function createApp(deps: InventoryDeps): Express {
  // The deps carry what the service shell needs too: its logger, readiness check and request metric.
  return createServiceApp({
    ...deps,
    name: 'inventory',
    routes: (app) => {
      app.use(itemRoutes());
      app.use(cartRoutes(deps));
    },
  });
}
