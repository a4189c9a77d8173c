// Redis key names. A key never holds the raw user token: it holds a keyed hash (HMAC) of it, inside a
// {hash tag} so that every key of one shopper lands in one Redis Cluster slot and one Lua script may
// touch them all.
import { createHash, createHmac } from 'node:crypto';
import { deriveKey } from '@storefront/service-kit';

export interface ShopperKeys {
  cart: string;
  /** The lines a running checkout took out of the cart. */
  claim: string;
  /** Present while that checkout is alive; its value is the claim id. */
  claimLease: string;
  /** A used hand-off nonce (or a placeholder in the same slot when there is none to check). */
  handoffNonce(nonce: string | undefined): string;
  /** Idempotency records are scoped per shopper; the client's key is hashed to bound its length. */
  idempotency(idempotencyKey: string): string;
  /** The shopper's live idempotency records, to bound how many there are. */
  idempotencyIndex: string;
}

export function createKeyspace(prefix: string, secret: string) {
  const hashKey = deriveKey(secret, 'redis-keys');
  const shopperTag = (userToken: string) =>
    // 192 bits of the HMAC: collisions are out of reach, and keys stay short.
    createHmac('sha256', hashKey).update(userToken).digest('base64url').slice(0, 32);
  return {
    /** Every key of one shopper, from one HMAC of the token. */
    shopper(userToken: string): ShopperKeys {
      const tag = shopperTag(userToken);
      return {
        cart: `${prefix}cart:{${tag}}`,
        claim: `${prefix}claim:{${tag}}`,
        claimLease: `${prefix}claim-lease:{${tag}}`,
        handoffNonce: (nonce) => `${prefix}handoff:{${tag}}:${nonce ?? '-'}`,
        idempotency: (idempotencyKey) =>
          `${prefix}idem:{${tag}}:${createHash('sha256').update(idempotencyKey).digest('base64url')}`,
        idempotencyIndex: `${prefix}idem-index:{${tag}}`,
      };
    },
  };
}
