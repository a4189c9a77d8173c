// The page's DOM: built with createElement and textContent only (no HTML strings, nothing inline for
// the CSP to refuse), updated in place so that a focused quantity field keeps its focus and its typing.
import type { CartLine, Item, Order } from './api';
import { formatMoney } from './money';

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

type Props = Record<string, string | number | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (name === 'className') element.className = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children);
  return element;
}

/** Ids become parts of element ids: keep them to the characters an id may hold. */
const domId = (prefix: string, itemId: string) => `${prefix}-${itemId.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** A whole-number field: a number keyboard on a phone, arrow keys and spin buttons step by one. */
function quantityField(id: string, min: number): HTMLInputElement {
  return el('input', { id, type: 'number', inputmode: 'numeric', min, step: 1, className: 'quantity' });
}

export interface CatalogHandlers {
  add(item: Item, quantityField: HTMLInputElement): void;
}

export function renderCatalog(items: readonly Item[], handlers: CatalogHandlers): void {
  const list = byId('catalog-items');
  list.replaceChildren(
    ...items.map((item) => {
      const nameId = domId('item-name', item.id);
      const quantityId = domId('item-quantity', item.id);
      const quantity = quantityField(quantityId, 1);
      quantity.value = '1';
      const form = el(
        'form',
        { className: 'item-form', 'aria-labelledby': nameId, novalidate: true },
        el('label', { for: quantityId }, 'Quantity'),
        quantity,
        el('button', { type: 'submit', 'aria-describedby': nameId }, 'Add to cart'),
      );
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        handlers.add(item, quantity);
      });
      return el(
        'li',
        { className: 'item', 'data-item-id': item.id },
        el('h3', { id: nameId, className: 'item-name' }, item.name),
        el('p', { className: 'price' }, formatMoney(item.price, item.currency)),
        form,
      );
    }),
  );
  byId('catalog-loading').hidden = true;
}

export interface CartHandlers {
  setQuantity(id: string, field: HTMLInputElement): void;
  remove(id: string): void;
}

/** A line of the cart as shown: its name and price from the catalog, when the catalog knows it. */
function describe(line: CartLine, catalog: ReadonlyMap<string, Item>) {
  const item = catalog.get(line.id);
  return { name: item?.name ?? line.id, price: item?.price, currency: item?.currency ?? 'USD' };
}

const priceText = (cents: number | undefined, currency: string) =>
  cents === undefined ? 'price unknown' : formatMoney(cents, currency);

function newCartLine(line: CartLine, name: string, handlers: CartHandlers): HTMLLIElement {
  const quantityId = domId('cart-quantity', line.id);
  const quantity = quantityField(quantityId, 0);
  // A request on change (Enter, leaving the field, a spin button), not on each typed digit; while the
  // person is typing, a cart refresh leaves the field alone.
  quantity.addEventListener('input', () => {
    quantity.dataset.editing = 'true';
  });
  quantity.addEventListener('change', () => {
    delete quantity.dataset.editing;
    handlers.setQuantity(line.id, quantity);
  });
  const remove = el('button', { type: 'button', className: 'remove', 'aria-label': `Remove ${name}` }, 'Remove');
  remove.addEventListener('click', () => handlers.remove(line.id));
  return el(
    'li',
    { className: 'cart-line', 'data-item-id': line.id },
    el('span', { className: 'line-name' }, name),
    el('span', { className: 'unit-price' }),
    el('span', { className: 'line-total' }),
    el(
      'span',
      { className: 'line-controls' },
      // Seen as "Quantity" beside the line's name; heard as "Quantity of <name>".
      el('label', { for: quantityId }, 'Quantity', el('span', { className: 'visually-hidden' }, ` of ${name}`)),
      quantity,
      remove,
    ),
  );
}

/** Updates the cart in place; returns the total, computed from catalog prices. */
export function renderCart(
  cart: readonly CartLine[],
  catalog: ReadonlyMap<string, Item>,
  handlers: CartHandlers,
): { count: number; total: number; currency: string } {
  const list = byId('cart-lines');
  const existing = new Map<string, HTMLLIElement>();
  for (const child of Array.from(list.children) as HTMLLIElement[]) existing.set(child.dataset.itemId ?? '', child);
  let total = 0;
  let count = 0;
  let currency = 'USD';
  const rows = cart.map((line) => {
    const shown = describe(line, catalog);
    const row = existing.get(line.id) ?? newCartLine(line, shown.name, handlers);
    existing.delete(line.id);
    const quantity = row.querySelector('input') as HTMLInputElement;
    if (quantity.dataset.editing === undefined) quantity.value = String(line.quantity);
    (row.querySelector('.unit-price') as HTMLElement).textContent = `${priceText(shown.price, shown.currency)} each`;
    const lineTotal = shown.price === undefined ? undefined : shown.price * line.quantity;
    (row.querySelector('.line-total') as HTMLElement).textContent = priceText(lineTotal, shown.currency);
    total += lineTotal ?? 0;
    count += line.quantity;
    currency = shown.currency;
    return row;
  });
  for (const gone of existing.values()) gone.remove();
  // Append in the cart's order; moving a node that is already in place keeps the focus inside it.
  rows.forEach((row, index) => {
    if (list.children[index] !== row) list.insertBefore(row, list.children[index] ?? null);
  });
  const countText = `${count} ${count === 1 ? 'item' : 'items'}`;
  byId('cart-count').textContent = countText;
  byId('cart-summary').textContent = `Cart: ${countText}`;
  byId('cart-empty').hidden = cart.length > 0;
  byId('cart-total').textContent = formatMoney(total, currency);
  return { count, total, currency };
}

export function renderConfirmation(order: Order, catalog: ReadonlyMap<string, Item>): void {
  byId('order-id').textContent = order.id;
  byId('order-lines').replaceChildren(
    ...order.items.map((line) => {
      const name = catalog.get(line.id)?.name ?? line.id;
      const each = formatMoney(line.unitPrice, order.currency);
      const lineTotal = formatMoney(line.unitPrice * line.quantity, order.currency);
      return el('li', { className: 'order-line' }, `${line.quantity} × ${name} at ${each}: ${lineTotal}`);
    }),
  );
  byId('order-total').textContent = formatMoney(order.total, order.currency);
}

/** Shows the shop (catalog and cart) or the order confirmation, and moves the focus to what appeared. */
export function showView(view: 'shop' | 'confirmation'): void {
  byId('shop').hidden = view !== 'shop';
  const confirmation = byId('confirmation');
  confirmation.hidden = view !== 'confirmation';
  if (view === 'confirmation') confirmation.focus();
  else byId('catalog-heading').scrollIntoView();
}

export function showNotice(kind: 'alert' | 'status', text: string | undefined): void {
  const notice = byId(kind);
  notice.textContent = text ?? '';
  notice.hidden = text === undefined;
}
