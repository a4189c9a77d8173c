// The storefront's HTTP API as the page uses it: same origin, the session in the HttpOnly `sid`
// cookie (the page never sees the token), JSON in and out, and every error as an ApiError carrying
// the contract's code, its status and its Retry-After.

export interface Item {
  id: string;
  name: string;
  price: number;
  currency: string;
}

export interface CartLine {
  id: string;
  quantity: number;
}

export interface Order {
  id: string;
  items: { id: string; quantity: number; unitPrice: number }[];
  total: number;
  currency: string;
}

/** A failed call: the contract's error (`code`), or NETWORK when no answer came at all. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    /** Seconds, from the Retry-After header; undefined when the answer had none. */
    readonly retryAfterSeconds: number | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
}

function retryAfterOf(headers: Headers): number | undefined {
  const value = headers.get('Retry-After');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('NETWORK', 'The store could not be reached.', 0, undefined, undefined);
  }
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.ok) return body as T;
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  throw new ApiError(
    typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`,
    typeof error?.message === 'string' ? error.message : `The store answered ${res.status}.`,
    res.status,
    retryAfterOf(res.headers),
    res.headers.get('X-Request-Id') ?? undefined,
  );
}

/** A new session: the gateway sets the `sid` cookie, which every later call carries. */
async function startSession(): Promise<void> {
  await call('POST', '/session');
}

/**
 * A cart call with the session: without one (first visit) or with an expired one, start a session
 * and ask once more. `onNewSession` tells the caller that whatever cart it showed is gone.
 */
async function withSession<T>(run: () => Promise<T>, onNewSession: () => void): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'UNAUTHENTICATED') throw err;
  }
  await startSession();
  onNewSession();
  return run();
}

export function createApi(onNewSession: () => void = () => undefined) {
  const cart = (method: string, path: string, options?: CallOptions) =>
    withSession(async () => (await call<{ cart: CartLine[] }>(method, path, options)).cart, onNewSession);
  return {
    items: async () => (await call<{ items: Item[] }>('GET', '/Items')).items,
    cart: () => cart('GET', '/Cart'),
    add: (id: string, quantity: number) => cart('POST', '/Cart/Item', { body: { id, quantity } }),
    setQuantity: (id: string, quantity: number) =>
      cart('PUT', `/Cart/Item/${encodeURIComponent(id)}`, { body: { quantity } }),
    remove: (id: string) => cart('DELETE', `/Cart/Item/${encodeURIComponent(id)}`),
    checkout: (paymentToken: string, idempotencyKey: string) =>
      withSession(
        async () =>
          (
            await call<{ message: string; order: Order }>('PATCH', '/Cart/checkout', {
              body: { payment: { token: paymentToken } },
              headers: { 'Idempotency-Key': idempotencyKey },
            })
          ).order,
        onNewSession,
      ),
  };
}

export type Api = ReturnType<typeof createApi>;
