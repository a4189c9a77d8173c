// The Idempotency-Key of a checkout. One key stands for one attempt to buy one cart with one payment
// token: a second click, a retry after a lost answer or a 5xx, even a reload of the tab, sends the same
// key, so the server places one order and answers the same again. The key is dropped once the server
// gave a final answer, and a different cart or token gets a new one.

export interface KeyStore {
  getItem(name: string): string | null;
  setItem(name: string, value: string): void;
  removeItem(name: string): void;
}

const STORAGE_NAME = 'storefront.checkout-attempt';

interface Attempt {
  key: string;
  /** What is being bought, and how: the cart's lines in a fixed order and the payment token. */
  fingerprint: string;
}

/** 128 random bits as hex: crypto.getRandomValues works on plain http too, unlike randomUUID. */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function fingerprintOf(lines: readonly { id: string; quantity: number }[], paymentToken: string): string {
  const sorted = [...lines].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return JSON.stringify({ lines: sorted.map((line) => [line.id, line.quantity]), paymentToken });
}

/** sessionStorage: per tab, surviving a reload; each tab checks out on its own key. */
export function createCheckoutKeys(store: KeyStore) {
  const read = (): Attempt | undefined => {
    try {
      const attempt = JSON.parse(store.getItem(STORAGE_NAME) ?? 'null') as Attempt | null;
      return typeof attempt?.key === 'string' && typeof attempt.fingerprint === 'string' ? attempt : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    /** The key of this attempt: the kept one when the fingerprint matches, a new one otherwise. */
    keyFor(fingerprint: string): string {
      const kept = read();
      if (kept?.fingerprint === fingerprint) return kept.key;
      const attempt: Attempt = { key: newKey(), fingerprint };
      store.setItem(STORAGE_NAME, JSON.stringify(attempt));
      return attempt.key;
    },
    /** The server gave a final answer for this key: the next attempt is a new one. */
    settle(key: string): void {
      if (read()?.key === key) store.removeItem(STORAGE_NAME);
    },
  };
}
