// Every cart change: each is one atomic script in Redis (libs/cart-cache), answering with the cart.
import { Router } from 'express';
import { addItemBody, setItemBody, type CartResponse } from '@storefront/api-contract';
import { loadCart, requireShopper, shopperOf, spendUnusedHandoff, type CartCache } from '@storefront/cart-cache';
import { ITEM_ID_PATTERN, findItem } from '@storefront/catalog';
import { errors, methodNotAllowed, parseBody, type IdentityHandoff } from '@storefront/service-kit';
import { catalogItemId, undecodableItemId } from './item-id';

// Every answer of these routes is the cart (the document's Cart schema).
const cartAnswer = (cart: CartResponse['cart']): CartResponse => ({ cart });

export function cartRoutes(deps: { carts: CartCache; handoff: IdentityHandoff }): Router {
  const { carts } = deps;
  const shopper = requireShopper(deps.handoff);
  const router = Router();

  router
    .route('/Cart')
    .get(shopper, loadCart(carts), (req, res) => {
      res.json(cartAnswer(req.cart ?? []));
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/Cart/Item')
    .post(shopper, async (req, res) => {
      const body = parseBody(addItemBody, req.body);
      if (!findItem(body.id)) throw errors.itemNotFound(body.id);
      res.status(201).json(cartAnswer(await carts.add(shopperOf(req), body.id, body.quantity ?? 1)));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/Cart/Item/:id')
    .put(shopper, async (req, res) => {
      const id = catalogItemId(req.params.id);
      const body = parseBody(setItemBody, req.body);
      res.json(cartAnswer(await carts.setQuantity(shopperOf(req), id, body.quantity)));
    })
    .delete(shopper, async (req, res) => {
      // Removing a line that is not there is fine, whether or not the item is in the catalog.
      if (!ITEM_ID_PATTERN.test(req.params.id)) throw errors.itemNotFound(req.params.id);
      res.json(cartAnswer(await carts.remove(shopperOf(req), req.params.id)));
    })
    .all(methodNotAllowed('PUT', 'DELETE'));
  router.use(undecodableItemId);
  router.use(spendUnusedHandoff(carts));

  return router;
}
