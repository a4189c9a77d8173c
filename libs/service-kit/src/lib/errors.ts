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
  unauthenticated: (message = 'Sign in first: send the token from POST /session as a Bearer token or the sid cookie.') =>
    new AppError('UNAUTHENTICATED', message, 401),
  notFound: (method: string, path: string) =>
    new AppError('NOT_FOUND', `There is no route ${method} ${path}.`, 404),
  itemNotFound: (id: string) => new AppError('ITEM_NOT_FOUND', `There is no item "${truncate(id)}" in the catalog.`, 404),
  methodNotAllowed: (method: string, allowed: readonly string[]) =>
    new AppError('METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allowed.join(' or ')}.`, 405, {
      Allow: allowed.join(', '),
    }),
  payloadTooLarge: (limitBytes: number) =>
    new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limitBytes} bytes.`, 413),
  unsupportedMediaType: () =>
    new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON with Content-Type: application/json.', 415),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError('RATE_LIMITED', 'Too many requests; slow down and try again shortly.', 429, {
      'Retry-After': String(retryAfterSeconds),
    }),
  serviceUnavailable: (message = 'A service behind the gateway is unavailable; try again shortly.', retryAfterSeconds = 1) =>
    new AppError('SERVICE_UNAVAILABLE', message, 503, { 'Retry-After': String(retryAfterSeconds) }),
  cartUnavailable: (retryAfterSeconds = 1) =>
    new AppError('CART_UNAVAILABLE', 'The cart store is unavailable right now; try again shortly.', 503, {
      'Retry-After': String(retryAfterSeconds),
    }),
} as const;

/** Client-supplied values echoed in messages are cut short so an error body stays small. */
function truncate(value: string, max = 64): string {
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}
