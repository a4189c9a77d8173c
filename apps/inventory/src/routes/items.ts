// The catalog: GET /Items and GET /Items/:id. Public: no identity needed.
import { Router } from 'express';
import type { ItemListResponse, ItemResponse } from '@storefront/api-contract';
import { listItems } from '@storefront/catalog';
import { methodNotAllowed } from '@storefront/service-kit';
import { catalogItem, undecodableItemId } from './item-id';

export function itemRoutes(): Router {
  const router = Router();
  router
    .route('/Items')
    .get((_req, res) => {
      res.json({ items: [...listItems()] } satisfies ItemListResponse);
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/Items/:id')
    .get((req, res) => {
      res.json({ item: catalogItem(req.params.id) } satisfies ItemResponse);
    })
    .all(methodNotAllowed('GET'));
  router.use(undecodableItemId);
  return router;
}
