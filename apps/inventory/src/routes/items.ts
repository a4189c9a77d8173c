// The catalog: GET /Items and GET /Items/:id. Public: no identity needed.
import { Router } from 'express';
import { findItem, listItems } from '@storefront/catalog';
import { methodNotAllowed } from '@storefront/service-kit';
import { catalogItemId, undecodableItemId } from './item-id';

export function itemRoutes(): Router {
  const router = Router();
  router
    .route('/Items')
    .get((_req, res) => {
      res.json({ items: listItems() });
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/Items/:id')
    .get((req, res) => {
      res.json({ item: findItem(catalogItemId(req.params.id)) });
    })
    .all(methodNotAllowed('GET'));
  router.use(undecodableItemId);
  return router;
}
