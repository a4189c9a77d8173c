// The Lua scripts behind every cart operation. Each runs atomically on the Redis server, so a change,
// its limit checks and the sliding expiry are one step and one round trip: no read-modify-write race.
//
// Every script takes the shopper's keys as KEYS[1] cart, KEYS[2] claim, KEYS[3] claim lease (and
// KEYS[4] the idempotency record and KEYS[5] the shopper's index of records, for checkout), all in one
// hash slot. The LAST key is always the
// gateway hand-off's nonce, and the last two ARGV say whether to check it and for how long to keep it:
// a replayed hand-off is refused (REPLAY) in the same atomic step, at no extra round trip.
// Replies are flat arrays: a status word, then either cart lines (id, quantity, id, quantity, ...) or details.

// Shared by every script: put back the lines of a checkout whose lease ran out (the process died
// midway), capped at the line limit, so claimed lines are never lost.
const HANDOFF_CHECK = `
local function handoff_is_fresh()
  if ARGV[#ARGV - 1] == '' then return true end
  return redis.call('SET', KEYS[#KEYS], '1', 'NX', 'PX', ARGV[#ARGV]) ~= false
end
if not handoff_is_fresh() then return {'REPLAY'} end
`;

const PRELUDE = `${HANDOFF_CHECK}
local cart, claim, lease = KEYS[1], KEYS[2], KEYS[3]

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

/** ARGV: ttlMs, maxQuantity. Reply: OK, lines... */
export const READ_CART = `${PRELUDE}
recover_abandoned_claim(tonumber(ARGV[2]), ARGV[1])
return reply_with_cart('OK', ARGV[1])
`;

/** ARGV: ttlMs, maxQuantity, maxLines, itemId, quantity. Reply: OK, lines... | LIMIT, reason */
export const ADD_ITEM = `${PRELUDE}
local max_quantity, max_lines = tonumber(ARGV[2]), tonumber(ARGV[3])
local id, quantity = ARGV[4], tonumber(ARGV[5])
recover_abandoned_claim(max_quantity, ARGV[1])
local current = redis.call('HGET', cart, id)
if not current then
  if redis.call('HLEN', cart) >= max_lines then return {'LIMIT', 'lines'} end
  current = 0
end
if tonumber(current) + quantity > max_quantity then return {'LIMIT', 'quantity'} end
redis.call('HSET', cart, id, tonumber(current) + quantity)
return reply_with_cart('OK', ARGV[1])
`;

/** ARGV: ttlMs, maxQuantity, maxLines, itemId, quantity (0 removes the line). Reply: OK, lines... | LIMIT, reason */
export const SET_ITEM = `${PRELUDE}
local max_quantity, max_lines = tonumber(ARGV[2]), tonumber(ARGV[3])
local id, quantity = ARGV[4], tonumber(ARGV[5])
recover_abandoned_claim(max_quantity, ARGV[1])
if quantity == 0 then
  redis.call('HDEL', cart, id)
else
  if quantity > max_quantity then return {'LIMIT', 'quantity'} end
  if redis.call('HEXISTS', cart, id) == 0 and redis.call('HLEN', cart) >= max_lines then return {'LIMIT', 'lines'} end
  redis.call('HSET', cart, id, quantity)
end
return reply_with_cart('OK', ARGV[1])
`;

/** ARGV: ttlMs, maxQuantity, itemId. Reply: OK, lines... */
export const REMOVE_ITEM = `${PRELUDE}
recover_abandoned_claim(tonumber(ARGV[2]), ARGV[1])
redis.call('HDEL', cart, ARGV[3])
return reply_with_cart('OK', ARGV[1])
`;

/**
 * Starts a checkout: answers from the idempotency record if there is one, otherwise moves the cart's
 * lines into the claim under a lease, so adds made meanwhile go to a fresh cart and are never lost.
 * KEYS[4]: idempotency record (a hash: state, fingerprint, status, body), KEYS[5]: the shopper's index
 * of records; both unused when ARGV[5] is ''.
 * ARGV: ttlMs, maxQuantity, leaseMs, claimId, fingerprint, inProgressMs, recordTtlMs, maxRecords.
 * Reply: CLAIMED, lines... | EMPTY | CHECKOUT_RUNNING, pttl | IDEM_RUNNING, pttl | IDEM_REUSED
 *        | IDEM_REPLAY, status, body | IDEM_FULL, ms until a record frees
 */
export const CLAIM_CART = `${PRELUDE}${IDEMPOTENCY_INDEX}
local record, index, fingerprint = KEYS[4], KEYS[5], ARGV[5]
local record_ttl_ms, max_records = tonumber(ARGV[7]), tonumber(ARGV[8])
if fingerprint ~= '' then
${IDEMPOTENCY_CHECK}
  local full = records_full(index, max_records, record_ttl_ms)
  if full then return {'IDEM_FULL', full} end
end
recover_abandoned_claim(tonumber(ARGV[2]), ARGV[1])
if redis.call('EXISTS', lease) == 1 then return {'CHECKOUT_RUNNING', redis.call('PTTL', lease)} end
if fingerprint ~= '' then
  redis.call('HSET', record, 'state', 'running', 'fingerprint', fingerprint)
  redis.call('PEXPIRE', record, ARGV[6])
  index_record(index, record, record_ttl_ms)
end
if redis.call('EXISTS', cart) == 0 then return {'EMPTY'} end
redis.call('RENAME', cart, claim)
-- The claim outlives its lease, so lines are never lost to expiry while a checkout runs.
redis.call('PEXPIRE', claim, math.max(tonumber(ARGV[1]), 2 * tonumber(ARGV[3])))
redis.call('SET', lease, ARGV[4], 'PX', ARGV[3])
local lines = redis.call('HGETALL', claim)
table.insert(lines, 1, 'CLAIMED')
return lines
`;

/**
 * Ends a checkout. If this checkout still holds the lease: 'placed' drops the claimed lines (they are
 * in the order), 'put-back' merges them into the cart, capped at maxQuantity. A checkout whose lease
 * ran out still settles its claim if nobody has taken it back or claimed anew (no lease at all), so
 * the lines of a paid order do not come back. Then stores the final answer in the idempotency
 * record, or deletes the record (and its index entry) so the key can be retried.
 * KEYS[4]: the idempotency record, KEYS[5]: the shopper's index of records.
 * ARGV: ttlMs, maxQuantity, claimId ('' when nothing was claimed), outcome, fingerprint ('' without a key),
 *       status ('' to free the key), body, recordTtlMs.
 * Reply: 1 when the claim was still this checkout's, 0 when it was not (or there was none).
 */
export const SETTLE_CHECKOUT = `${PRELUDE}${IDEMPOTENCY_INDEX}
local record, index = KEYS[4], KEYS[5]
local owned = 0
if ARGV[3] ~= '' then
  local holder = redis.call('GET', lease)
  if holder == ARGV[3] or (not holder and redis.call('EXISTS', claim) == 1) then
    owned = 1
    if ARGV[4] == 'put-back' then merge_claim_into_cart(tonumber(ARGV[2]), ARGV[1]) end
    redis.call('DEL', claim, lease)
  end
end
if ARGV[5] ~= '' then
  if ARGV[6] == '' then
    redis.call('DEL', record)
    redis.call('ZREM', index, record)
  else
    redis.call('HSET', record, 'state', 'done', 'fingerprint', ARGV[5], 'status', ARGV[6], 'body', ARGV[7])
    redis.call('PEXPIRE', record, ARGV[8])
    index_record(index, record, tonumber(ARGV[8]))
  end
end
return owned
`;

/**
 * Stores a final answer given before any cart work (a body that failed validation) for an
 * Idempotency-Key, unless the key already has one. KEYS[1]: the idempotency record, KEYS[2]: the
 * shopper's index of records.
 * ARGV: fingerprint, status, body, recordTtlMs, maxRecords.
 * Reply: STORED | IDEM_RUNNING, pttl | IDEM_REUSED | IDEM_REPLAY, status, body | IDEM_FULL, ms
 */
export const RECORD_ANSWER = `${HANDOFF_CHECK}${IDEMPOTENCY_INDEX}
local record, index, fingerprint = KEYS[1], KEYS[2], ARGV[1]
local record_ttl_ms = tonumber(ARGV[4])
${IDEMPOTENCY_CHECK}
local full = records_full(index, tonumber(ARGV[5]), record_ttl_ms)
if full then return {'IDEM_FULL', full} end
redis.call('HSET', record, 'state', 'done', 'fingerprint', fingerprint, 'status', ARGV[2], 'body', ARGV[3])
redis.call('PEXPIRE', record, ARGV[4])
index_record(index, record, record_ttl_ms)
return {'STORED'}
`;

/** Spends the hand-off of a request refused before any cart operation. Reply: OK (or REPLAY). */
export const SPEND_HANDOFF = `${HANDOFF_CHECK}
return {'OK'}
`;
