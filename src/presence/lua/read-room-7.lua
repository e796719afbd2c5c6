--[[
  Reads everything the snapshot job archives for one room, at one Redis TIME. Changes nothing
  (PFCOUNT may refresh the HyperLogLog's cached cardinality, which is not a change of content).

  Input:
    KEYS[1] visible sessions    zset: session -> deadline ms
    KEYS[2] hidden sessions     zset: session -> deadline ms
    KEYS[3] viewers             zset: viewer -> latest deadline ms
    KEYS[4] period accumulators hash: since, ps, pst, pv, pvt, j, e:<entry>
    KEYS[5] live period         hash: start, ps, pst, pv, pvt, j
    KEYS[6] live uniques        HyperLogLog of viewers
    KEYS[7] closed live periods hash: start -> JSON

  Output: {now ms, sessions, viewers, visible, period (flat hash), live (flat hash),
           live unique viewers, closed (flat hash), live end ms (-1 while the room is live)}
]]
local visibleKey  = KEYS[1]
local hiddenKey   = KEYS[2]
local viewersKey  = KEYS[3]
local periodKey   = KEYS[4]
local liveKey     = KEYS[5]
local uniquesKey  = KEYS[6]
local closedKey   = KEYS[7]

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

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
