--[[
  Reads everything the snapshot job archives for one or more rooms, at one Redis TIME. Changes
  nothing (PFCOUNT may refresh the HyperLogLog's cached cardinality, not its content). On Redis
  Cluster it is called with one room at a time; on a single Redis with a batch.

  Input, 7 keys per room:
    KEYS[r+1] visible sessions    zset: session -> deadline ms
    KEYS[r+2] hidden sessions     zset: session -> deadline ms
    KEYS[r+3] viewers             zset: viewer -> latest deadline ms
    KEYS[r+4] period accumulators hash: since, ps, pst, pv, pvt, j, e:<entry>
    KEYS[r+5] live period         hash: start, ps, pst, pv, pvt, j
    KEYS[r+6] live uniques        HyperLogLog of viewers
    KEYS[r+7] closed live periods hash: start -> JSON

  Output: one entry per room, in order:
    {now ms, sessions, viewers, visible, period (flat hash), live (flat hash),
     live unique viewers, closed (flat hash), live end ms (-1 while the room is live)}
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local function readRoom(visibleKey, hiddenKey, viewersKey, periodKey, liveKey, uniquesKey, closedKey)
  local visible = redis.call('ZCOUNT', visibleKey, now, '+inf')
  local sessions = visible + redis.call('ZCOUNT', hiddenKey, now, '+inf')
  local viewers = redis.call('ZCOUNT', viewersKey, now, '+inf')

  -- An empty room with a live period: that period ended at the latest deadline of its sessions.
  local liveEnd = -1
  if sessions == 0 and redis.call('EXISTS', liveKey) == 1 then
    liveEnd = tonumber(redis.call('HGET', liveKey, 'start')) or now
    for _, key in ipairs({visibleKey, hiddenKey}) do
      local top = redis.call('ZREVRANGEBYSCORE', key, '(' .. now, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
      if top[2] and tonumber(top[2]) > liveEnd then liveEnd = tonumber(top[2]) end
    end
  end

  return {
    now, sessions, viewers, visible,
    redis.call('HGETALL', periodKey),
    redis.call('HGETALL', liveKey),
    redis.call('PFCOUNT', uniquesKey),
    redis.call('HGETALL', closedKey),
    liveEnd,
  }
end

local rooms = {}
for r = 0, #KEYS - 1, 7 do
  rooms[#rooms + 1] = readRoom(KEYS[r + 1], KEYS[r + 2], KEYS[r + 3], KEYS[r + 4], KEYS[r + 5], KEYS[r + 6], KEYS[r + 7])
end
return rooms
