--[[
  Reads a room's counts: a range count of each sorted set from now (never a walk over members),
  so it costs the same for ten sessions and for a million. Read-only; Redis TIME.

  Input:
    KEYS[1] visible sessions    zset: session -> deadline ms
    KEYS[2] hidden sessions     zset: session -> deadline ms
    KEYS[3] viewers             zset: viewer -> latest deadline ms
    KEYS[4] live period         hash: start, ps, pst, pv, pvt, j

  Output: {now ms, sessions, viewers, visible, live peak sessions, live peak viewers, live peak at ms}
          the live peak is zeros (at -1) when the room is empty
]]
local visibleKey  = KEYS[1]
local hiddenKey   = KEYS[2]
local viewersKey  = KEYS[3]
local liveKey     = KEYS[4]

local now = clock()

local visible = redis.call('ZCOUNT', visibleKey, now, '+inf')
local sessions = visible + redis.call('ZCOUNT', hiddenKey, now, '+inf')
local viewers = redis.call('ZCOUNT', viewersKey, now, '+inf')

local ps, pv, pst = 0, 0, -1
if sessions > 0 then
  local peak = redis.call('HMGET', liveKey, 'ps', 'pv', 'pst')
  ps, pv, pst = tonumber(peak[1]) or 0, tonumber(peak[2]) or 0, tonumber(peak[3]) or -1
end
return {now, sessions, viewers, visible, ps, pv, pst}
