// Errors are values with a stable code and an HTTP status; the error middleware
// (error-middleware.ts) is the one place that turns them into responses.

export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The errors of the contract (docs/CONTRACT.md "Errors"), built in one place so codes and statuses never drift. */
export const errors = {
  invalidBody: (message: string) => new AppError('INVALID_BODY', message, 400),
  unauthenticated: (
    message = 'Sign in first: send the token from POST /session as a Bearer token or the sid cookie.',
  ) => new AppError('UNAUTHENTICATED', message, 401),
  notFound: (method: string, path: string) =>
    new AppError('NOT_FOUND', `There is no route ${clientText(method)} ${clientText(path)}.`, 404),
  itemNotFound: (id: string) =>
    new AppError('ITEM_NOT_FOUND', `There is no item "${clientText(id)}" in the catalog.`, 404),
  methodNotAllowed: (method: string, allowed: readonly string[]) =>
    new AppError('METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allowed.join(' or ')}.`, 405, {
      Allow: allowed.join(', '),
    }),
  payloadTooLarge: (limitBytes: number) =>
    new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limitBytes} bytes.`, 413),
  requestTimeout: () =>
    new AppError('REQUEST_TIMEOUT', 'The request did not arrive in time; send it whole, and promptly.', 408),
  expectationFailed: () =>
    new AppError('EXPECTATION_FAILED', 'The only Expect this server meets is 100-continue.', 417),
  headersTooLarge: (limit: string) =>
    new AppError('HEADERS_TOO_LARGE', `The request headers are too large (${limit}).`, 431),
  unsupportedMediaType: () =>
    new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON with Content-Type: application/json.', 415),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError('RATE_LIMITED', 'Too many requests; slow down and try again shortly.', 429, {
      'Retry-After': String(retryAfterSeconds),
    }),
  serviceUnavailable: (
    message = 'A service behind the gateway is unavailable; try again shortly.',
    retryAfterSeconds = 1,
  ) => new AppError('SERVICE_UNAVAILABLE', message, 503, { 'Retry-After': String(retryAfterSeconds) }),
  cartUnavailable: (retryAfterSeconds = 1) =>
    new AppError('CART_UNAVAILABLE', 'The cart store is unavailable right now; try again shortly.', 503, {
      'Retry-After': String(retryAfterSeconds),
    }),
} as const;

/** The most characters of client input an error message repeats. */
export const MAX_ECHOED_CHARS = 64;

/**
 * Client input echoed in a message, cut to MAX_ECHOED_CHARS: an error body stays small, also where it
 * is stored (an Idempotency-Key's answer is kept for 24 hours).
 */
export function clientText(value: string): string {
  return value.length <= MAX_ECHOED_CHARS ? value : `${value.slice(0, MAX_ECHOED_CHARS)}…`;
}

/** The contract's error body, as text: the one place that spells its shape. */
export function errorBody(error: Pick<AppError, 'code' | 'message'>): string {
  return JSON.stringify({ error: { code: error.code, message: error.message } });
}
