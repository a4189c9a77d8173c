// Item ids in paths: malformed (a bad %-escape included) or not in the catalog is 404 ITEM_NOT_FOUND.
import type { ErrorRequestHandler } from 'express';
import { ITEM_ID_PATTERN, findItem, type CatalogItem } from '@storefront/catalog';
import { errors } from '@storefront/service-kit';

/** The catalog item of an id from a path, or 404 ITEM_NOT_FOUND. */
export function catalogItem(id: string): CatalogItem {
  const item = ITEM_ID_PATTERN.test(id) ? findItem(id) : undefined;
  if (!item) throw errors.itemNotFound(id);
  return item;
}

/** The id of a catalog item from a path, or 404 ITEM_NOT_FOUND. */
export function catalogItemId(id: string): string {
  return catalogItem(id).id;
}

/** Express cannot decode an `:id` with a broken %-escape; for these routes that is an unknown item. */
export const undecodableItemId: ErrorRequestHandler = (err, req, _res, next) => {
  next(err instanceof URIError ? errors.itemNotFound(req.path.split('/').pop() ?? '') : err);
};
