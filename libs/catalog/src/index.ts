export { CATALOG_CURRENCY, ITEM_ID_PATTERN, findItem, listItems, type CatalogItem } from './lib/catalog';
