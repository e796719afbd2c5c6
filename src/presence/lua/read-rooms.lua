--[[
  Reads what the snapshot job archives of one or more rooms, at one Redis TIME, and ends each
  room's open snapshot period there: its accumulators move to the pending hash (merged into one
  that an earlier reading left there, when that reading was never committed), and the next period
  begins with the count of this moment as its first peak. On Redis Cluster it is called with one
  room at a time; on a single Redis with a batch.

  Input, 10 keys per room:
    KEYS[r+1] visible sessions    zset: session -> deadline ms
    KEYS[r+2] hidden sessions     zset: session -> deadline ms
    KEYS[r+3] viewers             zset: viewer -> latest deadline ms
    KEYS[r+4] period accumulators hash: since, ps, pst, pv, pvt, j, e:<entry>, kk, k:<kind>
    KEYS[r+5] pending period      hash: the same fields (the open period's since is the time of
                                  the reading that made or last merged it)
    KEYS[r+6] live period         hash: start, ps, pst, pv, pvt, j
    KEYS[r+7] live uniques        HyperLogLog of viewers
    KEYS[r+8] closed live periods hash: start -> JSON
    KEYS[r+9] addresses           zset: hashed client address -> its online sessions
    KEYS[r+10] address of         hash: session -> its address

  Output: one JSON text (a single bulk reply, far cheaper for Redis to send and for the caller to
  parse than nested arrays of many small strings): an array with one entry per room, in order;
    [now ms] when the room has nothing (it was forgotten), else
    [now ms, sessions, viewers, visible, pending period (flat hash), live (flat hash),
     live unique viewers, closed (flat hash), live end ms (-1 while the room is live),
     online sessions of the busiest address]
  Times are sent as texts (ms()): cjson writes numbers with 14 significant digits only.
  An empty hash comes out as {} (cjson cannot tell an empty array from an empty object).
]]
local now = clock()
local nowMs = ms(now)

-- Adds the open period (its flat hash, already read) into the pending one: joins summed, the
-- higher peak (the earlier on a tie).
local function mergeInto(pendingKey, periodKey, open)
  local a = {}
  for i = 1, #open, 2 do a[open[i]] = open[i + 1] end
  local kept = redis.call('HMGET', pendingKey, 'ps', 'pv')
  if tonumber(a.ps or 0) > tonumber(kept[1] or 0) then redis.call('HSET', pendingKey, 'ps', a.ps, 'pst', a.pst) end
  if tonumber(a.pv or 0) > tonumber(kept[2] or 0) then redis.call('HSET', pendingKey, 'pv', a.pv, 'pvt', a.pvt) end
  for field, n in pairs(a) do
    local prefix = string.sub(field, 1, 2)
    if field == 'j' or prefix == 'e:' or prefix == 'k:' then redis.call('HINCRBY', pendingKey, field, n) end
  end
  redis.call('DEL', periodKey)
end

-- Every redis.call costs a few µs of Redis's one thread, heartbeats waiting: each is counted.
local function readRoom(visibleKey, hiddenKey, viewersKey, periodKey, pendingKey, liveKey, uniquesKey, closedKey, addressesKey, addressOfKey)
  local open = redis.call('HGETALL', periodKey)
  -- Usually the open period becomes the pending one as it is; RENAMENX says when an earlier
  -- reading, never committed, left a pending period to merge into instead.
  local merging
  if #open == 0 then
    merging = redis.call('EXISTS', pendingKey) == 1
    if not merging then return {nowMs} end
  else
    merging = redis.call('RENAMENX', periodKey, pendingKey) == 0
  end
  local visible = redis.call('ZCOUNT', visibleKey, nowMs, '+inf')
  local sessions = visible + redis.call('ZCOUNT', hiddenKey, nowMs, '+inf')
  local viewers = redis.call('ZCOUNT', viewersKey, nowMs, '+inf')
  -- A room nobody beat in since a session expired has its addresses caught up here.
  settleAddresses(visibleKey, hiddenKey, addressesKey, addressOfKey, now, sessions > 0)

  local pending = open
  if merging then
    mergeInto(pendingKey, periodKey, open)
    pending = redis.call('HGETALL', pendingKey)
  end
  -- The next period begins now; its since tells the commit whether this reading is the latest.
  redis.call('HSET', periodKey, 'since', nowMs, 'ps', sessions, 'pst', nowMs, 'pv', viewers, 'pvt', nowMs, 'j', 0)

  local live = redis.call('HGETALL', liveKey)
  local start
  for i = 1, #live, 2 do if live[i] == 'start' then start = live[i + 1] end end
  local liveEnd = -1
  if sessions == 0 and start then liveEnd = liveEndOf(visibleKey, hiddenKey, start, now) end

  return {
    nowMs, sessions, viewers, visible,
    pending,
    live,
    start and redis.call('PFCOUNT', uniquesKey) or 0,
    redis.call('HGETALL', closedKey),
    ms(liveEnd),
    sessions > 0 and busiestAddress(addressesKey) or 0,
  }
end

local rooms = {}
for r = 0, #KEYS - 1, 10 do
  rooms[#rooms + 1] = readRoom(KEYS[r + 1], KEYS[r + 2], KEYS[r + 3], KEYS[r + 4], KEYS[r + 5], KEYS[r + 6], KEYS[r + 7], KEYS[r + 8], KEYS[r + 9], KEYS[r + 10])
end
return cjson.encode(rooms)
