// The HTTP side of Idempotency-Key (docs/CONTRACT.md "Checkout rules"): the header's shape, and the body's
// fingerprint, which compares bodies as JSON values (key order and spacing do not matter).
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { errors } from '@storefront/service-kit';

// 1 to 255 printable ASCII characters.
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/** The request's Idempotency-Key, undefined when absent; a malformed key is 400 INVALID_BODY. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('Idempotency-Key');
  if (key === undefined) return undefined;
  if (!VALID_KEY.test(key)) {
    throw errors.invalidBody('Idempotency-Key must be 1 to 255 printable ASCII characters.');
  }
  return key;
}

/** JSON with object keys sorted, so two bodies that are equal as JSON values print the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function fingerprintOf(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url');
}
