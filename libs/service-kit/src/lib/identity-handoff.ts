// The gateway's identity hand-off: a header the gateway signs with GATEWAY_SECRET and the services
// verify, so a client can neither forge an identity nor replay one after a short expiry.
//
//   x-storefront-identity: v1.<subject>.<expiresAtMs>.<signature>
//
// The signature covers the subject, the expiry, the method and the path, so a captured header is good
// for one route for at most HANDOFF_TTL_MS (give or take CLOCK_SKEW_MS between the two hosts' clocks).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const IDENTITY_HEADER = 'x-storefront-identity';
export const HANDOFF_TTL_MS = 30_000;
// Gateway and service may run on hosts whose clocks differ a little.
const CLOCK_SKEW_MS = 5_000;
const SUBJECT = /^[A-Za-z0-9_-]{1,128}$/;

/** Derives a purpose-bound key so the hand-off never signs with the same key that hashes Redis keys. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return createHmac('sha256', secret).update(`storefront:${purpose}`).digest();
}

function sign(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

export interface HandoffRequest {
  method: string;
  /** The request target as sent (path and query), the same string on both hops. */
  url: string;
}

export function createIdentityHandoff(secret: string, ttlMs = HANDOFF_TTL_MS) {
  const key = deriveKey(secret, 'identity-handoff');
  return {
    /** Builds the header value for `subject` (an opaque shopper id, never a raw token). */
    sign(subject: string, request: HandoffRequest, now = Date.now()): string {
      if (!SUBJECT.test(subject)) throw new TypeError('identity hand-off: subject must be 1-128 URL-safe characters');
      const expiresAt = now + ttlMs;
      return `v1.${subject}.${expiresAt}.${sign(key, `v1.${subject}.${expiresAt}.${request.method} ${request.url}`)}`;
    },
    /** Returns the subject when the header is genuine, unexpired and made for this request; otherwise undefined. */
    verify(header: string | undefined, request: HandoffRequest, now = Date.now()): string | undefined {
      if (typeof header !== 'string') return undefined;
      const parts = header.split('.');
      if (parts.length !== 4 || parts[0] !== 'v1') return undefined;
      const [, subject, expiresAtText, signature] = parts;
      if (!SUBJECT.test(subject) || !/^\d{1,16}$/.test(expiresAtText)) return undefined;
      const expiresAt = Number(expiresAtText);
      if (expiresAt < now - CLOCK_SKEW_MS || expiresAt > now + ttlMs + CLOCK_SKEW_MS) return undefined;
      const expected = Buffer.from(sign(key, `v1.${subject}.${expiresAtText}.${request.method} ${request.url}`));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected) ? subject : undefined;
    },
  };
}

export type IdentityHandoff = ReturnType<typeof createIdentityHandoff>;
