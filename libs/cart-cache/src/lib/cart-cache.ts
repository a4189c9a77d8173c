// The distributed cart: every operation is one Lua script, so one Redis round trip, atomic under any
// number of concurrent requests and service instances, with the limits checked inside that step and
// the cart's expiry slid on every successful read or change.
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { createConfirmedWrites, toRedisError, type WriteConcern } from '@storefront/redis';
import { AppError, HANDOFF_NONCE_TTL_MS, errors } from '@storefront/service-kit';
import {
  CartLimitError,
  CheckoutInProgressError,
  IdempotencyInProgressError,
  IdempotencyKeysExhaustedError,
  IdempotencyKeyReusedError,
} from './errors';
import { createKeyspace, type ShopperKeys } from './keys';
import { checkStorable, type StoredResponse } from './stored-answer';
import {
  ADD_ITEM,
  CART_SCRIPTS,
  CLAIM_CART,
  READ_CART,
  RECORD_ANSWER,
  REMOVE_ITEM,
  SET_ITEM,
  SETTLE_CHECKOUT,
  SPEND_HANDOFF,
  scriptCall,
  scriptDefinition,
  type CartScriptName,
  type ScriptSpec,
} from './scripts';

export interface CartLine {
  id: string;
  quantity: number;
}

/**
 * The single-use nonce of the gateway hand-off that vouched for a request. The request's first cart
 * operation spends it (a replayed hand-off is refused with 401 in the same step) and sets `spent`, so
 * later operations of the same request do not spend it again.
 */
export interface HandoffUse {
  nonce: string;
  spent: boolean;
}

/** Whose cart: the user token alone, or with the hand-off that vouched for it. */
export type Shopper = string | { userToken: string; handoff?: HandoffUse };

export interface CartLimits {
  /** Most units of one item in a cart line. */
  maxQuantity: number;
  /** Most lines in a cart. */
  maxLines: number;
}

export interface CartCacheOptions {
  /** A connected ioredis client or Cluster; the caller owns it (and closes it). */
  redis: Redis | Cluster;
  /** Keys the user token (HMAC) so Redis keys never contain it. At least 32 characters. */
  secret: string;
  /** Prepended to every key; apps sharing one Redis need distinct prefixes. */
  prefix?: string;
  /** A cart expires after this long without a read or change. */
  ttlSeconds?: number;
  limits?: Partial<CartLimits>;
  /** How long a checkout may hold the claimed lines before they return to the cart by themselves. */
  checkoutLeaseMs?: number;
  /** How long a finished checkout's answer is kept for an Idempotency-Key retry. */
  idempotencyTtlSeconds?: number;
  /** How long an Idempotency-Key stays "in progress" if its checkout never settles. */
  idempotencyInProgressMs?: number;
  /** Most live idempotency records per shopper; a new key past that is 429 until the oldest expires. */
  idempotencyMaxRecords?: number;
  /** Replicas that must acknowledge every change (Redis WAIT) before it counts; none by default. */
  writeConcern?: WriteConcern;
}

export const CART_DEFAULTS = {
  prefix: 'storefront:',
  ttlSeconds: 7 * 24 * 60 * 60, // 7 days (docs/CONTRACT.md "Cart rules").
  limits: { maxQuantity: 99, maxLines: 50 },
  checkoutLeaseMs: 60_000, // A checkout that died gives its lines back within a minute.
  idempotencyTtlSeconds: 24 * 60 * 60,
  idempotencyInProgressMs: 60_000,
  idempotencyMaxRecords: 100,
} as const;

/** An Idempotency-Key with the fingerprint of the request body it was first used with. */
export interface IdempotencyRequest {
  key: string;
  fingerprint: string;
}

export type ClaimResult =
  | { kind: 'claimed'; claimId: string; lines: CartLine[] }
  | { kind: 'empty' }
  | { kind: 'replay'; response: StoredResponse };

export interface SettleOptions {
  /** From a 'claimed' result; absent when nothing was claimed. */
  claimId?: string;
  /** 'placed': the claimed lines are in an order. 'put-back': they return to the cart. */
  outcome: 'placed' | 'put-back';
  /** The final answer to store for the Idempotency-Key; undefined frees the key for a retry. */
  idempotency?: IdempotencyRequest & { response?: StoredResponse };
}

function checkPositiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`@storefront/cart-cache: ${name} option must be a positive integer`);
  }
  return value;
}

function toLines(flat: readonly unknown[], from: number): CartLine[] {
  const lines: CartLine[] = [];
  for (let i = from; i + 1 < flat.length; i += 2) {
    lines.push({ id: String(flat[i]), quantity: Number(flat[i + 1]) });
  }
  return lines;
}

function retryAfterSeconds(pttl: unknown): number {
  const ms = Number(pttl);
  return Number.isFinite(ms) && ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 1;
}

/** Builds the cart store over an injected ioredis client; it never opens a connection of its own. */
export function createCartCache(options: CartCacheOptions) {
  const { redis } = options;
  if (!redis || typeof (redis as { defineCommand?: unknown }).defineCommand !== 'function') {
    throw new TypeError('@storefront/cart-cache: redis option must be an ioredis Redis or Cluster');
  }
  if (typeof options.secret !== 'string' || options.secret.length < 32) {
    throw new TypeError('@storefront/cart-cache: secret option must be a string of at least 32 characters');
  }
  const prefix = options.prefix ?? CART_DEFAULTS.prefix;
  if (typeof prefix !== 'string') throw new TypeError('@storefront/cart-cache: prefix option must be a string');
  const ttlSeconds = checkPositiveInteger('ttlSeconds', options.ttlSeconds ?? CART_DEFAULTS.ttlSeconds);
  const limits: CartLimits = {
    maxQuantity: checkPositiveInteger(
      'limits.maxQuantity',
      options.limits?.maxQuantity ?? CART_DEFAULTS.limits.maxQuantity,
    ),
    maxLines: checkPositiveInteger('limits.maxLines', options.limits?.maxLines ?? CART_DEFAULTS.limits.maxLines),
  };
  const leaseMs = checkPositiveInteger('checkoutLeaseMs', options.checkoutLeaseMs ?? CART_DEFAULTS.checkoutLeaseMs);
  const recordTtlMs =
    1000 *
    checkPositiveInteger('idempotencyTtlSeconds', options.idempotencyTtlSeconds ?? CART_DEFAULTS.idempotencyTtlSeconds);
  const inProgressMs = checkPositiveInteger(
    'idempotencyInProgressMs',
    options.idempotencyInProgressMs ?? CART_DEFAULTS.idempotencyInProgressMs,
  );
  const maxRecords = checkPositiveInteger(
    'idempotencyMaxRecords',
    options.idempotencyMaxRecords ?? CART_DEFAULTS.idempotencyMaxRecords,
  );
  const ttlMs = ttlSeconds * 1000;
  const keyspace = createKeyspace(prefix, options.secret);

  // defineCommand loads each script once per connection and falls back from EVALSHA to EVAL by itself.
  for (const spec of CART_SCRIPTS) redis.defineCommand(spec.name, scriptDefinition(spec));
  const confirmed = options.writeConcern?.replicas ? createConfirmedWrites(redis, options.writeConcern) : undefined;
  // The scripts that change something: under a write concern they are sent with WAIT in one pipeline,
  // so the replicas' acknowledgement costs no extra round trip; fewer of them in time is 503 (the
  // change may be applied, as with any 503).
  const CHANGES: ReadonlySet<CartScriptName> = new Set([
    ADD_ITEM.name,
    SET_ITEM.name,
    REMOVE_ITEM.name,
    CLAIM_CART.name,
    SETTLE_CHECKOUT.name,
    RECORD_ANSWER.name,
  ]);
  const runScript = (name: CartScriptName, args: (string | number)[]): Promise<unknown> =>
    confirmed && CHANGES.has(name)
      ? confirmed.send(String(args[0]), (pipeline) => pipeline[name](...args))
      : redis[name](...args);

  /**
   * Runs a script for `shopper`: names the hand-off nonce key and its two arguments, spends the
   * nonce if the request has not yet, and turns a REPLAY into 401.
   */
  async function call<K extends string, A extends string>(
    spec: ScriptSpec<K, A> & { name: CartScriptName },
    shopper: Shopper,
    keysOf: (keys: ShopperKeys) => Record<K, string>,
    args: Record<A, string | number>,
  ): Promise<unknown[]> {
    const { userToken, handoff } = typeof shopper === 'string' ? { userToken: shopper, handoff: undefined } : shopper;
    const nonce = handoff && !handoff.spent ? handoff.nonce : undefined;
    // Counted as spent once sent: if Redis applied it and the reply was lost, spending it again would
    // turn this request's 503 into a 401.
    if (handoff) handoff.spent = true;
    const keys = keyspace.shopper(userToken);
    const callArgs = scriptCall(
      spec,
      { ...keysOf(keys), handoff_nonce: keys.handoffNonce(nonce) },
      { ...args, handoff_check: nonce ? '1' : '', handoff_ttl_ms: HANDOFF_NONCE_TTL_MS },
    );
    let reply: unknown;
    try {
      reply = await runScript(spec.name, callArgs);
    } catch (err) {
      throw toRedisError(err);
    }
    const replies = Array.isArray(reply) ? reply : [reply];
    if (replies[0] === 'REPLAY') throw errors.unauthenticated('This identity hand-off was already used.');
    return replies;
  }

  const cartKeys = (keys: ShopperKeys) => ({ cart: keys.cart, claim: keys.claim, lease: keys.claimLease });
  const checkoutKeys = (keys: ShopperKeys, idempotencyKey: string) => ({
    ...cartKeys(keys),
    record: keys.idempotency(idempotencyKey),
    record_index: keys.idempotencyIndex,
  });

  function linesOrLimit(reply: unknown[], attempted: { id: string; quantity: number }): CartLine[] {
    if (reply[0] === 'OK') return toLines(reply, 1);
    if (reply[0] === 'LIMIT') {
      throw new CartLimitError(
        reply[1] === 'lines'
          ? `A cart holds at most ${limits.maxLines} different items.`
          : `A cart line holds at most ${limits.maxQuantity} of one item (asked for ${attempted.quantity} more of ` +
              `"${attempted.id}").`,
      );
    }
    throw new Error(`@storefront/cart-cache: unexpected script reply ${String(reply[0])}`);
  }

  /** One line added to or set, by ADD_ITEM or SET_ITEM: the cart after, or the limit it would pass. */
  async function changeLine(
    script: typeof ADD_ITEM | typeof SET_ITEM,
    shopper: Shopper,
    id: string,
    quantity: number,
  ): Promise<CartLine[]> {
    const limitArgs = { max_quantity: limits.maxQuantity, max_lines: limits.maxLines };
    const reply = await call(script, shopper, cartKeys, { ttl_ms: ttlMs, ...limitArgs, id, quantity });
    return linesOrLimit(reply, { id, quantity });
  }

  /** The Idempotency-Key outcomes both checkout scripts share: a stored answer, or why there is none yet. */
  function storedAnswer(reply: unknown[]): StoredResponse {
    switch (reply[0]) {
      case 'IDEM_REPLAY':
        return { status: Number(reply[1]), body: String(reply[2]) };
      case 'IDEM_REUSED':
        throw new IdempotencyKeyReusedError();
      case 'IDEM_RUNNING':
        throw new IdempotencyInProgressError(retryAfterSeconds(reply[1]));
      case 'IDEM_FULL':
        throw new IdempotencyKeysExhaustedError(maxRecords, retryAfterSeconds(reply[1]));
      default:
        throw new Error(`@storefront/cart-cache: unexpected script reply ${String(reply[0])}`);
    }
  }

  function checkQuantity(quantity: number, min: number): void {
    if (!Number.isInteger(quantity) || quantity < min) {
      throw new TypeError(`@storefront/cart-cache: quantity must be an integer of at least ${min}`);
    }
  }

  return {
    limits,
    ttlSeconds,

    /** The shopper's cart; unknown or expired is []. Slides the expiry. */
    async read(shopper: Shopper): Promise<CartLine[]> {
      const reply = await call(READ_CART, shopper, cartKeys, { ttl_ms: ttlMs, max_quantity: limits.maxQuantity });
      return toLines(reply, 1);
    },

    /** Adds `quantity` to the item's line (creating it); refuses the whole change past a limit. */
    async add(shopper: Shopper, id: string, quantity: number): Promise<CartLine[]> {
      checkQuantity(quantity, 1);
      // A quantity over the limit can never fit: refuse it without a round trip.
      if (quantity > limits.maxQuantity) return linesOrLimit(['LIMIT', 'quantity'], { id, quantity });
      return changeLine(ADD_ITEM, shopper, id, quantity);
    },

    /** Sets the item's line to `quantity` (creating it); 0 removes it. */
    async setQuantity(shopper: Shopper, id: string, quantity: number): Promise<CartLine[]> {
      checkQuantity(quantity, 0);
      if (quantity > limits.maxQuantity) {
        throw new CartLimitError(`A cart line holds at most ${limits.maxQuantity} of one item.`);
      }
      return changeLine(SET_ITEM, shopper, id, quantity);
    },

    /** Removes the item's line; removing an absent line is not an error. */
    async remove(shopper: Shopper, id: string): Promise<CartLine[]> {
      const reply = await call(REMOVE_ITEM, shopper, cartKeys, { ttl_ms: ttlMs, max_quantity: limits.maxQuantity, id });
      return toLines(reply, 1);
    },

    /**
     * Starts a checkout: takes every line out of the cart under a lease (adds made meanwhile go to a
     * fresh cart), or answers from the Idempotency-Key's record. One round trip.
     */
    async claim(shopper: Shopper, idempotency?: IdempotencyRequest): Promise<ClaimResult> {
      const claimId = randomUUID();
      const reply = await call(CLAIM_CART, shopper, (keys) => checkoutKeys(keys, idempotency?.key ?? ''), {
        ttl_ms: ttlMs,
        max_quantity: limits.maxQuantity,
        lease_ms: leaseMs,
        claim_id: claimId,
        fingerprint: idempotency?.fingerprint ?? '',
        in_progress_ms: inProgressMs,
        record_ttl_ms: recordTtlMs,
        max_records: maxRecords,
      });
      switch (reply[0]) {
        case 'CLAIMED':
          return { kind: 'claimed', claimId, lines: toLines(reply, 1) };
        case 'EMPTY':
          return { kind: 'empty' };
        case 'CHECKOUT_RUNNING':
          throw new CheckoutInProgressError(retryAfterSeconds(reply[1]));
        default:
          return { kind: 'replay', response: storedAnswer(reply) };
      }
    },

    /**
     * Stores `response` as the final answer for an Idempotency-Key, given before any cart work (a body
     * that failed validation), unless the key already has an answer: then that one is returned to replay.
     */
    async recordAnswer(
      shopper: Shopper,
      idempotency: IdempotencyRequest,
      response: StoredResponse,
    ): Promise<{ kind: 'stored' } | { kind: 'replay'; response: StoredResponse }> {
      checkStorable(response);
      const reply = await call(
        RECORD_ANSWER,
        shopper,
        (keys) => ({ record: keys.idempotency(idempotency.key), record_index: keys.idempotencyIndex }),
        {
          fingerprint: idempotency.fingerprint,
          status: response.status,
          body: response.body,
          record_ttl_ms: recordTtlMs,
          max_records: maxRecords,
        },
      );
      return reply[0] === 'STORED' ? { kind: 'stored' } : { kind: 'replay', response: storedAnswer(reply) };
    },

    /**
     * Ends a checkout started by claim(): drops or puts back the claimed lines, and stores the final
     * answer for the Idempotency-Key (or frees the key). One round trip. Resolves false when the claim
     * was no longer this checkout's (its lease ran out and the lines went back to the cart).
     */
    async settle(shopper: Shopper, settle: SettleOptions): Promise<boolean> {
      const idempotency = settle.idempotency;
      if (idempotency?.response) checkStorable(idempotency.response);
      const reply = await call(SETTLE_CHECKOUT, shopper, (keys) => checkoutKeys(keys, idempotency?.key ?? ''), {
        ttl_ms: ttlMs,
        max_quantity: limits.maxQuantity,
        claim_id: settle.claimId ?? '',
        outcome: settle.outcome,
        fingerprint: idempotency?.fingerprint ?? '',
        status: idempotency?.response ? String(idempotency.response.status) : '',
        body: idempotency?.response?.body ?? '',
        record_ttl_ms: recordTtlMs,
      });
      return reply[0] === 1;
    },

    /**
     * Spends the request's hand-off if no cart operation has (a request refused before one): a
     * hand-off is single-use whatever the outcome. Resolves false when it was already used (a replay).
     */
    async spendHandoff(shopper: Shopper): Promise<boolean> {
      if (typeof shopper === 'string' || !shopper.handoff || shopper.handoff.spent) return true;
      try {
        await call(SPEND_HANDOFF, shopper, () => ({}), {});
      } catch (err) {
        if (err instanceof AppError && err.code === 'UNAUTHENTICATED') return false;
        throw err;
      }
      return true;
    },
  };
}

export type CartCache = ReturnType<typeof createCartCache>;
