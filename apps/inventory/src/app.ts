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
  return createServiceApp({
    name: 'inventory',
    logger: deps.logger,
    checkReady: deps.checkReady,
    observeRequest: deps.observeRequest,
    routes: (app) => {
      app.use(itemRoutes());
      app.use(cartRoutes(deps));
    },
  });
}
