// The catalog of badger paraphernalia, shared by inventory (what may go in a cart) and checkout
// (what it costs: prices always come from here, never from the client).

export interface CatalogItem {
  /** 1 to 64 characters of [A-Za-z0-9_-]. */
  id: string;
  name: string;
  /** Price in integer cents of `currency`. */
  price: number;
  currency: string;
}

export const CATALOG_CURRENCY = 'USD';
export const ITEM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const ITEMS: readonly CatalogItem[] = Object.freeze(
  [
    { id: 'badger-plush', name: 'Honey Badger Plush Toy', price: 1999 },
    { id: 'badger-mug', name: 'Badger Face Coffee Mug', price: 1250 },
    { id: 'badger-tee', name: '"Badger Badger Badger" T-Shirt', price: 2400 },
    { id: 'badger-socks', name: 'Striped Badger Socks', price: 899 },
    { id: 'badger-shaving-brush', name: 'Badger Hair Shaving Brush (synthetic)', price: 3450 },
    { id: 'sett-birdhouse', name: 'Badger Sett Birdhouse', price: 4599 },
    { id: 'badger-enamel-pin', name: 'Badger Enamel Pin', price: 650 },
    { id: 'badger-tote', name: 'Badger Canvas Tote Bag', price: 1500 },
    { id: 'badger-hoodie', name: 'Midnight Badger Hoodie', price: 5200 },
    { id: 'badger-field-guide', name: 'The Badger Field Guide', price: 2799 },
    { id: 'badger-night-light', name: 'Badger Night Light', price: 2150 },
    { id: 'badger-stickers', name: 'Badger Sticker Pack (12)', price: 499 },
    { id: 'badger-garden-gnome', name: 'Badger Garden Gnome', price: 3999 },
    { id: 'badger-wallet', name: 'Badger Leather Wallet', price: 3300 },
  ].map((item) => Object.freeze({ ...item, currency: CATALOG_CURRENCY })),
);

const BY_ID = new Map(ITEMS.map((item) => [item.id, item]));

export function listItems(): readonly CatalogItem[] {
  return ITEMS;
}

export function findItem(id: string): CatalogItem | undefined {
  return BY_ID.get(id);
}
