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

/**
 * JSON with object keys sorted, so two bodies that are equal as JSON values print the same. Iterative,
 * with a stack of its own: the body is the client's, and its depth must not reach the call stack.
 */
function canonicalJson(root: unknown): string {
  let out = '';
  // Work to do, last first: a value to print, or text to emit as it is.
  const todo: Array<{ value: unknown } | string> = [{ value: root }];
  while (todo.length > 0) {
    const item = todo.pop() as { value: unknown } | string;
    if (typeof item === 'string') {
      out += item;
      continue;
    }
    const { value } = item;
    if (value === null || typeof value !== 'object') {
      out += JSON.stringify(value) ?? 'null';
      continue;
    }
    const parts: Array<{ value: unknown } | string> = [];
    if (Array.isArray(value)) {
      parts.push('[');
      value.forEach((element, i) => parts.push(...(i > 0 ? [','] : []), { value: element }));
      parts.push(']');
    } else {
      parts.push('{');
      Object.keys(value)
        .sort()
        .forEach((key, i) =>
          parts.push(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:`, { value: (value as Record<string, unknown>)[key] }),
        );
      parts.push('}');
    }
    for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i]);
  }
  return out;
}

export function fingerprintOf(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url');
}
