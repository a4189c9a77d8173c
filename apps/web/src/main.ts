// The storefront page: the catalog, the cart beside it (above it on a phone), checkout and the order
// confirmation, all against the public API with the session cookie. Wiring and the order of events
// are here; the DOM is in view.ts, the words in messages.ts.
import { ApiError, createApi, type CartLine, type Item, type Order } from './api';
import { createCheckoutKeys, fingerprintOf } from './checkout-key';
import { noticeFor, type Action } from './messages';
import { byId, renderCart, renderCatalog, renderConfirmation, showNotice, showView } from './view';

const catalog = new Map<string, Item>();
let cart: CartLine[] = [];
const api = createApi(() => {
  if (cart.length > 0) showNotice('status', 'Your session had expired, so this is a new, empty cart.');
  cart = [];
});
const checkoutKeys = createCheckoutKeys(sessionStorage);
// Other tabs of this browser share the session, hence the cart: tell them when it changes.
const otherTabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('storefront-cart') : undefined;

// Cart changes go one after another, so that two quick changes of a line reach the server in order.
let queue: Promise<unknown> = Promise.resolve();
function serially<T>(run: () => Promise<T>): Promise<T> {
  const next = queue.then(run, run);
  queue = next.catch(() => undefined);
  return next;
}

const cartHandlers = {
  setQuantity(id: string, field: HTMLInputElement) {
    const quantity = Number(field.value);
    if (field.value.trim() === '' || !Number.isInteger(quantity) || quantity < 0) {
      showNotice('alert', 'Enter a whole number as the quantity (0 removes the line).');
      showCart(cart);
      return;
    }
    void change(() => api.setQuantity(id, quantity), 'change', `${nameOf(id)}: quantity set to ${quantity}.`);
  },
  remove(id: string) {
    byId('cart').focus(); // the button is about to go: keep the keyboard in the cart
    void change(() => api.remove(id), 'change', `Removed ${nameOf(id)} from your cart.`);
  },
};

const catalogHandlers = {
  add(item: Item, field: HTMLInputElement) {
    const quantity = Number(field.value);
    if (field.value.trim() === '' || !Number.isInteger(quantity) || quantity < 1) {
      showNotice('alert', `Enter a whole number from 1 up as the quantity of ${item.name}.`);
      field.focus();
      return;
    }
    void change(() => api.add(item.id, quantity), 'add', `Added ${quantity} × ${item.name} to your cart.`).then(
      (done) => {
        if (done) field.value = '1';
      },
    );
  },
};

const nameOf = (id: string) => catalog.get(id)?.name ?? id;

function showCart(lines: CartLine[]): void {
  cart = lines;
  renderCart(cart, catalog, cartHandlers);
}

/** Runs one cart change; true when it went through. */
async function change(run: () => Promise<CartLine[]>, action: Action, done: string): Promise<boolean> {
  try {
    showCart(await serially(run));
    otherTabs?.postMessage('cart changed');
    showNotice('alert', undefined);
    showNotice('status', done);
    return true;
  } catch (err) {
    fail(err, action);
    showCart(cart); // put back what a refused change left in a field
    return false;
  }
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let waitingForStore = false;

function fail(err: unknown, action: Action): void {
  showNotice('status', undefined);
  if (!(err instanceof ApiError)) {
    console.error(err);
    showNotice('alert', 'Something went wrong on this page. Please reload it and try again.');
    return;
  }
  const notice = noticeFor(err, action);
  showNotice('alert', notice.text);
  if (err.code === 'ITEM_NOT_FOUND') catalog.clear(); // read the catalog again
  // Once a refresh answers, say so, if what failed was the store itself.
  waitingForStore ||= err.status === 503 || err.code === 'NETWORK';
  if (notice.refreshAfterSeconds !== undefined) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void load(), notice.refreshAfterSeconds * 1000);
  }
}

/** Loads the catalog (once) and the cart; after a failure, says so when the store is back. */
async function load(): Promise<void> {
  try {
    if (catalog.size === 0) {
      const items = await api.items();
      for (const item of items) catalog.set(item.id, item);
      renderCatalog(items, catalogHandlers);
    }
    showCart(await serially(() => api.cart()));
    if (waitingForStore) {
      waitingForStore = false;
      showNotice('alert', undefined);
      showNotice('status', 'The store is back: you can carry on.');
    }
  } catch (err) {
    fail(err, 'load');
  }
}

// Checkout --------------------------------------------------------------------------------------------

let checkingOut = false;
const checkoutButton = byId<HTMLButtonElement>('checkout-button');
const paymentToken = byId<HTMLInputElement>('payment-token');

/** Worth sending again with the same key: no final answer yet (the server stores every final one). */
function unsettled(err: unknown): err is ApiError {
  return (
    err instanceof ApiError && (err.code === 'NETWORK' || err.status >= 500 || err.status === 409 || err.status === 429)
  );
}

const pause = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** Sends the checkout, and again (same key) while it is still running or its answer did not come. */
async function placeOrder(token: string, key: string): Promise<Order> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await api.checkout(token, key);
    } catch (err) {
      const retry = unsettled(err) && err.code !== 'CHECKOUT_IN_PROGRESS' && err.code !== 'RATE_LIMITED';
      if (!retry || attempt >= 3) throw err;
      showNotice('status', 'Still placing your order…');
      await pause(Math.min(5, Math.max(1, err.retryAfterSeconds ?? 1)));
    }
  }
}

async function checkOut(): Promise<void> {
  // A second click while the first is under way does nothing; the key covers a second request anyway.
  if (checkingOut) return;
  const token = paymentToken.value.trim();
  if (token === '') {
    showNotice('alert', 'Enter a payment token, then check out.');
    paymentToken.focus();
    return;
  }
  checkingOut = true;
  checkoutButton.setAttribute('aria-disabled', 'true');
  showNotice('alert', undefined);
  showNotice('status', 'Placing your order…');
  const key = checkoutKeys.keyFor(fingerprintOf(cart, token));
  try {
    const order = await serially(() => placeOrder(token, key));
    checkoutKeys.settle(key);
    showCart([]);
    otherTabs?.postMessage('cart changed');
    paymentToken.value = '';
    showNotice('status', undefined);
    renderConfirmation(order, catalog);
    showView('confirmation');
  } catch (err) {
    if (!unsettled(err)) checkoutKeys.settle(key);
    fail(err, 'checkout');
    // A declined payment put the lines back; another tab may have emptied the cart: show what is there.
    if (err instanceof ApiError && !unsettled(err)) await load();
  } finally {
    checkingOut = false;
    checkoutButton.removeAttribute('aria-disabled');
  }
}

byId('checkout-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void checkOut();
});

byId('continue-shopping').addEventListener('click', () => {
  showNotice('status', undefined);
  showView('shop');
  byId('catalog-heading').setAttribute('tabindex', '-1');
  byId('catalog-heading').focus();
  void load();
});

otherTabs?.addEventListener('message', () => void load());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void load();
});

void load();
