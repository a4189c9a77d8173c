import { CATALOG_CURRENCY, ITEM_ID_PATTERN, findItem, listItems } from '../index';

describe('catalog', () => {
  it('holds at least 12 items with well-formed ids, unique ids and positive integer prices', () => {
    const items = listItems();
    expect(items.length).toBeGreaterThanOrEqual(12);
    expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
    for (const item of items) {
      expect(item.id).toMatch(ITEM_ID_PATTERN);
      expect(Number.isSafeInteger(item.price) && item.price > 0).toBe(true);
      expect(item.currency).toBe(CATALOG_CURRENCY);
      expect(item.name.length).toBeGreaterThan(0);
    }
  });

  it('finds an item by id and nothing for an unknown id', () => {
    expect(findItem('badger-mug')?.price).toBe(1250);
    expect(findItem('badger-MUG')).toBeUndefined();
    expect(findItem('')).toBeUndefined();
  });

  it('cannot be changed at run time', () => {
    const item = listItems()[0];
    expect(() => {
      (item as { price: number }).price = 1;
    }).toThrow(TypeError);
  });
});
