// The Lua scripts behind every cart operation. Each runs atomically on the Redis server, so a change,
// its limit checks and the sliding expiry are one step and one round trip: no read-modify-write race.
//
// Each script is declared once, with the names of its keys and arguments in order: the Lua opens by
// naming them as locals (scriptLua), and the TypeScript side builds the call from an object with
// the same names (scriptCall), so the order lives in one place. The shopper's keys (cart, claim,
// claim lease, and for checkout the idempotency record and the shopper's index of records) share one
// hash slot. The last key is always the gateway hand-off's nonce, and the last two arguments say
// whether to check it and for how long to keep it: a replayed hand-off is refused (REPLAY) in the
// same atomic step, at no extra round trip. Replies are flat arrays: a status word, then either cart
// lines (id, quantity, id, quantity, ...) or details.

import type { Result } from 'ioredis';

// The scripts as commands of every ioredis client, cluster and pipeline (defineCommand adds them).
declare module 'ioredis' {
  interface RedisCommander<Context> {
    storefrontCartRead(...args: (string | number)[]): Result<unknown, Context>;
    storefrontCartAdd(...args: (string | number)[]): Result<unknown, Context>;
    storefrontCartSet(...args: (string | number)[]): Result<unknown, Context>;
    storefrontCartRemove(...args: (string | number)[]): Result<unknown, Context>;
    storefrontCartClaim(...args: (string | number)[]): Result<unknown, Context>;
    storefrontCartSettle(...args: (string | number)[]): Result<unknown, Context>;
    storefrontCartRecordAnswer(...args: (string | number)[]): Result<unknown, Context>;
    storefrontCartSpendHandoff(...args: (string | number)[]): Result<unknown, Context>;
  }
}

export interface ScriptSpec<K extends string, A extends string> {
  /** The ioredis command it is defined as. */
  name: string;
  /** Its keys, in order, before the hand-off nonce's (appended to every script). */
  keys: readonly K[];
  /** Its arguments, in order, before the hand-off's two. */
  args: readonly A[];
  /** The Lua after the locals that name the keys and arguments. */
  body: string;
}

const HANDOFF_KEY = 'handoff_nonce';
const HANDOFF_ARGS = ['handoff_check', 'handoff_ttl_ms'] as const;

/** `local a, b = KEYS[1], KEYS[2]` for the names given. */
function locals(names: readonly string[], table: 'KEYS' | 'ARGV'): string {
  return `local ${names.join(', ')} = ${names.map((_, i) => `${table}[${i + 1}]`).join(', ')}\n`;
}

/** The script's source: its keys and arguments named as locals, then its body. */
export function scriptLua(spec: ScriptSpec<string, string>): string {
  return `${locals([...spec.keys, HANDOFF_KEY], 'KEYS')}${locals([...spec.args, ...HANDOFF_ARGS], 'ARGV')}${spec.body}`;
}

/** The keys and arguments of one call, in the script's order, from objects that name them. */
export function scriptCall<K extends string, A extends string>(
  spec: ScriptSpec<K, A>,
  keys: Record<K, string> & { [HANDOFF_KEY]: string },
  args: Record<A, string | number> & Record<(typeof HANDOFF_ARGS)[number], string | number>,
): (string | number)[] {
  return [
    ...spec.keys.map((name) => keys[name]),
    keys[HANDOFF_KEY],
    ...spec.args.map((name) => args[name]),
    ...HANDOFF_ARGS.map((name) => args[name]),
  ];
}

export const scriptDefinition = (spec: ScriptSpec<string, string>) => ({
  lua: scriptLua(spec),
  numberOfKeys: spec.keys.length + 1,
});

// Every script starts here: a replayed hand-off ends it before anything else happens.
const HANDOFF_CHECK = `
local function handoff_is_fresh()
  if handoff_check == '' then return true end
  return redis.call('SET', handoff_nonce, '1', 'NX', 'PX', handoff_ttl_ms) ~= false
end
if not handoff_is_fresh() then return {'REPLAY'} end
`;

// Shared by the cart scripts (locals cart, claim, lease): put back the lines of a checkout whose lease
// ran out (the process died midway), capped at the line limit, so claimed lines are never lost.
const PRELUDE = `${HANDOFF_CHECK}
-- Every key expires: a cart that the merge creates gets its TTL here, even if the script then refuses
-- the change it was called for.
local function merge_claim_into_cart(max_quantity, ttl_ms)
  local lines = redis.call('HGETALL', claim)
  for i = 1, #lines, 2 do
    local quantity = redis.call('HINCRBY', cart, lines[i], tonumber(lines[i + 1]))
    if quantity > max_quantity then redis.call('HSET', cart, lines[i], max_quantity) end
  end
  redis.call('DEL', claim)
  if #lines > 0 then redis.call('PEXPIRE', cart, ttl_ms) end
end

local function recover_abandoned_claim(max_quantity, ttl_ms)
  if redis.call('EXISTS', claim) == 1 and redis.call('EXISTS', lease) == 0 then
    merge_claim_into_cart(max_quantity, ttl_ms)
  end
end

local function reply_with_cart(status, ttl_ms)
  local lines = redis.call('HGETALL', cart)
  if #lines > 0 then redis.call('PEXPIRE', cart, ttl_ms) end
  table.insert(lines, 1, status)
  return lines
end
`;

// What one shopper can make Redis keep is bounded: at most `max_records` live idempotency records,
// listed in a sorted set (the index) scored by when each was made. A new Idempotency-Key past that is
// refused until the oldest record expires (the reply says in how many ms). Records never leave the
// index early: forgetting an order's record would let a late retry of its key charge again.
const IDEMPOTENCY_INDEX = `
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- nil when the shopper may make one more record; otherwise the ms until the oldest expires.
local function records_full(index, max_records, record_ttl_ms)
  local now = now_ms()
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now - record_ttl_ms)
  if redis.call('ZCARD', index) < max_records then return nil end
  local oldest = redis.call('ZRANGE', index, 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + record_ttl_ms - now)
end

local function index_record(index, record, record_ttl_ms)
  redis.call('ZADD', index, now_ms(), record)
  redis.call('PEXPIRE', index, record_ttl_ms)
end
`;

// An Idempotency-Key already seen answers before anything else happens: the stored answer, or why not.
// Expects locals `record` (the key's hash: state, fingerprint, status, body) and `fingerprint`.
const IDEMPOTENCY_CHECK = `
local stored = redis.call('HMGET', record, 'state', 'fingerprint', 'status', 'body')
if stored[1] then
  if stored[2] ~= fingerprint then return {'IDEM_REUSED'} end
  if stored[1] == 'running' then return {'IDEM_RUNNING', redis.call('PTTL', record)} end
  return {'IDEM_REPLAY', stored[3], stored[4]}
end
`;

const CART_KEYS = ['cart', 'claim', 'lease'] as const;
const CHECKOUT_KEYS = [...CART_KEYS, 'record', 'record_index'] as const;

/** Reply: OK, lines... */
export const READ_CART = {
  name: 'storefrontCartRead',
  keys: CART_KEYS,
  args: ['ttl_ms', 'max_quantity'],
  body: `${PRELUDE}
recover_abandoned_claim(tonumber(max_quantity), ttl_ms)
return reply_with_cart('OK', ttl_ms)
`,
} as const satisfies ScriptSpec<string, string>;

// The start of both scripts that change one line: the limits and the quantity as numbers, and an
// abandoned checkout claim recovered first.
const LINE_CHANGE_ARGS = ['ttl_ms', 'max_quantity', 'max_lines', 'id', 'quantity'] as const;
const LINE_CHANGE_PRELUDE = `${PRELUDE}
max_quantity, max_lines, quantity = tonumber(max_quantity), tonumber(max_lines), tonumber(quantity)
recover_abandoned_claim(max_quantity, ttl_ms)`;

/** Reply: OK, lines... | LIMIT, reason */
export const ADD_ITEM = {
  name: 'storefrontCartAdd',
  keys: CART_KEYS,
  args: LINE_CHANGE_ARGS,
  body: `${LINE_CHANGE_PRELUDE}
local current = redis.call('HGET', cart, id)
if not current then
  if redis.call('HLEN', cart) >= max_lines then return {'LIMIT', 'lines'} end
  current = 0
end
if tonumber(current) + quantity > max_quantity then return {'LIMIT', 'quantity'} end
redis.call('HSET', cart, id, tonumber(current) + quantity)
return reply_with_cart('OK', ttl_ms)
`,
} as const satisfies ScriptSpec<string, string>;

/** quantity 0 removes the line. Reply: OK, lines... | LIMIT, reason */
export const SET_ITEM = {
  name: 'storefrontCartSet',
  keys: CART_KEYS,
  args: LINE_CHANGE_ARGS,
  body: `${LINE_CHANGE_PRELUDE}
if quantity == 0 then
  redis.call('HDEL', cart, id)
else
  if quantity > max_quantity then return {'LIMIT', 'quantity'} end
  if redis.call('HEXISTS', cart, id) == 0 and redis.call('HLEN', cart) >= max_lines then return {'LIMIT', 'lines'} end
  redis.call('HSET', cart, id, quantity)
end
return reply_with_cart('OK', ttl_ms)
`,
} as const satisfies ScriptSpec<string, string>;

/** Reply: OK, lines... */
export const REMOVE_ITEM = {
  name: 'storefrontCartRemove',
  keys: CART_KEYS,
  args: ['ttl_ms', 'max_quantity', 'id'],
  body: `${PRELUDE}
recover_abandoned_claim(tonumber(max_quantity), ttl_ms)
redis.call('HDEL', cart, id)
return reply_with_cart('OK', ttl_ms)
`,
} as const satisfies ScriptSpec<string, string>;

/**
 * Starts a checkout: answers from the idempotency record if there is one, otherwise moves the cart's
 * lines into the claim under a lease, so adds made meanwhile go to a fresh cart and are never lost.
 * The record is a hash (state, fingerprint, status, body); record and record_index are unused when
 * the fingerprint is '' (no Idempotency-Key).
 * Reply: CLAIMED, lines... | EMPTY | CHECKOUT_RUNNING, pttl | IDEM_RUNNING, pttl | IDEM_REUSED
 *        | IDEM_REPLAY, status, body | IDEM_FULL, ms until a record frees
 */
export const CLAIM_CART = {
  name: 'storefrontCartClaim',
  keys: CHECKOUT_KEYS,
  args: [
    'ttl_ms',
    'max_quantity',
    'lease_ms',
    'claim_id',
    'fingerprint',
    'in_progress_ms',
    'record_ttl_ms',
    'max_records',
  ],
  body: `${PRELUDE}${IDEMPOTENCY_INDEX}
local index = record_index
record_ttl_ms, max_records = tonumber(record_ttl_ms), tonumber(max_records)
if fingerprint ~= '' then
${IDEMPOTENCY_CHECK}
  local full = records_full(index, max_records, record_ttl_ms)
  if full then return {'IDEM_FULL', full} end
end
recover_abandoned_claim(tonumber(max_quantity), ttl_ms)
if redis.call('EXISTS', lease) == 1 then return {'CHECKOUT_RUNNING', redis.call('PTTL', lease)} end
if fingerprint ~= '' then
  redis.call('HSET', record, 'state', 'running', 'fingerprint', fingerprint)
  redis.call('PEXPIRE', record, in_progress_ms)
  index_record(index, record, record_ttl_ms)
end
if redis.call('EXISTS', cart) == 0 then return {'EMPTY'} end
redis.call('RENAME', cart, claim)
-- The claim outlives its lease, so lines are never lost to expiry while a checkout runs.
redis.call('PEXPIRE', claim, math.max(tonumber(ttl_ms), 2 * tonumber(lease_ms)))
redis.call('SET', lease, claim_id, 'PX', lease_ms)
local lines = redis.call('HGETALL', claim)
table.insert(lines, 1, 'CLAIMED')
return lines
`,
} as const satisfies ScriptSpec<string, string>;

/**
 * Ends a checkout. If this checkout still holds the lease: 'placed' drops the claimed lines (they are
 * in the order), 'put-back' merges them into the cart, capped at max_quantity. A checkout whose lease
 * ran out still settles its claim if nobody has taken it back or claimed anew (no lease at all), so
 * the lines of a paid order do not come back. Then stores the final answer in the idempotency
 * record, or deletes the record (and its index entry) so the key can be retried. claim_id is ''
 * when nothing was claimed, fingerprint '' without a key, status '' to free the key.
 * Reply: 1 when the claim was still this checkout's, 0 when it was not (or there was none).
 */
export const SETTLE_CHECKOUT = {
  name: 'storefrontCartSettle',
  keys: CHECKOUT_KEYS,
  args: ['ttl_ms', 'max_quantity', 'claim_id', 'outcome', 'fingerprint', 'status', 'body', 'record_ttl_ms'],
  body: `${PRELUDE}${IDEMPOTENCY_INDEX}
local index = record_index
local owned = 0
if claim_id ~= '' then
  local holder = redis.call('GET', lease)
  if holder == claim_id or (not holder and redis.call('EXISTS', claim) == 1) then
    owned = 1
    if outcome == 'put-back' then merge_claim_into_cart(tonumber(max_quantity), ttl_ms) end
    redis.call('DEL', claim, lease)
  end
end
if fingerprint ~= '' then
  if status == '' then
    redis.call('DEL', record)
    redis.call('ZREM', index, record)
  else
    redis.call('HSET', record, 'state', 'done', 'fingerprint', fingerprint, 'status', status, 'body', body)
    redis.call('PEXPIRE', record, record_ttl_ms)
    index_record(index, record, tonumber(record_ttl_ms))
  end
end
return owned
`,
} as const satisfies ScriptSpec<string, string>;

/**
 * Stores a final answer given before any cart work (a body that failed validation) for an
 * Idempotency-Key, unless the key already has one.
 * Reply: STORED | IDEM_RUNNING, pttl | IDEM_REUSED | IDEM_REPLAY, status, body | IDEM_FULL, ms
 */
export const RECORD_ANSWER = {
  name: 'storefrontCartRecordAnswer',
  keys: ['record', 'record_index'],
  args: ['fingerprint', 'status', 'body', 'record_ttl_ms', 'max_records'],
  body: `${HANDOFF_CHECK}${IDEMPOTENCY_INDEX}
local index = record_index
${IDEMPOTENCY_CHECK}
local full = records_full(index, tonumber(max_records), tonumber(record_ttl_ms))
if full then return {'IDEM_FULL', full} end
redis.call('HSET', record, 'state', 'done', 'fingerprint', fingerprint, 'status', status, 'body', body)
redis.call('PEXPIRE', record, record_ttl_ms)
index_record(index, record, tonumber(record_ttl_ms))
return {'STORED'}
`,
} as const satisfies ScriptSpec<string, string>;

/** Spends the hand-off of a request refused before any cart operation. Reply: OK (or REPLAY). */
export const SPEND_HANDOFF = {
  name: 'storefrontCartSpendHandoff',
  keys: [],
  args: [],
  body: `${HANDOFF_CHECK}
return {'OK'}
`,
} as const satisfies ScriptSpec<string, string>;

export const CART_SCRIPTS = [
  READ_CART,
  ADD_ITEM,
  SET_ITEM,
  REMOVE_ITEM,
  CLAIM_CART,
  SETTLE_CHECKOUT,
  RECORD_ANSWER,
  SPEND_HANDOFF,
];

export type CartScriptName = (typeof CART_SCRIPTS)[number]['name'];
