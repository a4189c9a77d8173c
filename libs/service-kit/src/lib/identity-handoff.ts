// The gateway's identity hand-off: a header the gateway signs with GATEWAY_SECRET and the services
// verify, so a client can neither forge an identity nor replay one.
//
//   x-storefront-identity: v1.<subject>.<expiresAtMs>.<nonce>.<signature>
//
// The signature covers the subject, the expiry, the nonce, the method and the path, so a captured
// header is good for one route for at most HANDOFF_TTL_MS (give or take CLOCK_SKEW_MS between the two
// hosts' clocks). Within that time the nonce makes it single-use: the cart layer records each nonce in
// Redis, inside the same script as the cart operation, and refuses one it has seen.
import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';

export const IDENTITY_HEADER = 'x-storefront-identity';
export const HANDOFF_TTL_MS = 30_000;
// Gateway and service may run on hosts whose clocks differ a little.
export const CLOCK_SKEW_MS = 5_000;
/** How long a used nonce must be remembered: as long as its hand-off could still verify anywhere. */
export const HANDOFF_NONCE_TTL_MS = HANDOFF_TTL_MS + 2 * CLOCK_SKEW_MS;
const SUBJECT = /^[A-Za-z0-9_-]{1,128}$/;
const NONCE = /^[A-Za-z0-9_-]{16}$/;

/** Derives a purpose-bound key so the hand-off never signs with the same key that hashes Redis keys. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return createHmac('sha256', secret).update(`storefront:${purpose}`).digest();
}

// Nonces come from a pool refilled 4 KiB at a time: one randomBytes call per request was measurable.
const NONCE_BYTES = 12;
const noncePool = Buffer.alloc(4096);
let noncePoolOffset = noncePool.length;
function nextNonce(): string {
  if (noncePoolOffset + NONCE_BYTES > noncePool.length) {
    randomFillSync(noncePool);
    noncePoolOffset = 0;
  }
  const nonce = noncePool.toString('base64url', noncePoolOffset, noncePoolOffset + NONCE_BYTES);
  noncePoolOffset += NONCE_BYTES;
  return nonce;
}

function sign(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

export interface HandoffRequest {
  method: string;
  /** The request target as sent (path and query), the same string on both hops. */
  url: string;
}

export interface VerifiedHandoff {
  /** The shopper the gateway vouches for. */
  subject: string;
  /** Single-use: a second request with the same nonce is a replay. */
  nonce: string;
}

export function createIdentityHandoff(secret: string, ttlMs = HANDOFF_TTL_MS) {
  const key = deriveKey(secret, 'identity-handoff');
  const payload = (subject: string, expiresAt: string, nonce: string, request: HandoffRequest) =>
    `v1.${subject}.${expiresAt}.${nonce}.${request.method} ${request.url}`;
  return {
    /** Builds the header value for `subject` (an opaque shopper id, never a raw token). */
    sign(subject: string, request: HandoffRequest, now = Date.now()): string {
      if (!SUBJECT.test(subject)) throw new TypeError('identity hand-off: subject must be 1-128 URL-safe characters');
      const expiresAt = String(now + ttlMs);
      const nonce = nextNonce();
      return `v1.${subject}.${expiresAt}.${nonce}.${sign(key, payload(subject, expiresAt, nonce, request))}`;
    },
    /**
     * The subject and nonce when the header is genuine, unexpired and made for this request; otherwise
     * undefined. Whether the nonce was already used is for the caller to check (in Redis).
     */
    verify(header: string | undefined, request: HandoffRequest, now = Date.now()): VerifiedHandoff | undefined {
      if (typeof header !== 'string') return undefined;
      const parts = header.split('.');
      if (parts.length !== 5 || parts[0] !== 'v1') return undefined;
      const [, subject, expiresAtText, nonce, signature] = parts;
      if (!SUBJECT.test(subject) || !NONCE.test(nonce) || !/^\d{1,16}$/.test(expiresAtText)) return undefined;
      const expiresAt = Number(expiresAtText);
      if (expiresAt < now - CLOCK_SKEW_MS || expiresAt > now + ttlMs + CLOCK_SKEW_MS) return undefined;
      const expected = Buffer.from(sign(key, payload(subject, expiresAtText, nonce, request)));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected) ? { subject, nonce } : undefined;
    },
  };
}

export type IdentityHandoff = ReturnType<typeof createIdentityHandoff>;
