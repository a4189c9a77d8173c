export { CATALOG_CURRENCY, ITEM_ID_PATTERN, findItem, listItems } from './lib/catalog';
