// The answers kept for an Idempotency-Key retry, and how large one may be: each is kept 24 hours, so
// what a client can make Redis keep stays small.

/** A stored final answer, replayed for a retry with the same Idempotency-Key. */
export interface StoredResponse {
  status: number;
  body: string;
}

/** The most bytes a stored answer may take. */
export const MAX_STORED_ANSWER_BYTES = 2048;

/** An answer to store must be small (MAX_STORED_ANSWER_BYTES); a larger one is a bug of the caller. */
export function checkStorable(response: StoredResponse): void {
  const bytes = Buffer.byteLength(response.body);
  if (bytes > MAX_STORED_ANSWER_BYTES) {
    throw new TypeError(
      `@storefront/cart-cache: an answer to store is ${bytes} bytes, over ${MAX_STORED_ANSWER_BYTES}`,
    );
  }
}
