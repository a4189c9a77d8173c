// The catalog: GET /Items and GET /Items/:id. Public: no identity needed.
import { Router } from 'express';
import { findItem, listItems } from '@storefront/catalog';
import { errors, methodNotAllowed } from '@storefront/service-kit';

export function itemRoutes(): Router {
  const router = Router();
  router.route('/Items').get((_req, res) => {
    res.json({ items: listItems() });
  }).all(methodNotAllowed('GET'));
  router.route('/Items/:id').get((req, res) => {
    const item = findItem(req.params.id);
    if (!item) throw errors.itemNotFound(req.params.id);
    res.json({ item });
  }).all(methodNotAllowed('GET'));
  return router;
}
