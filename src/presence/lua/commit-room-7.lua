--[[
  After a reading of this room was written to PostgreSQL: takes away what was read, so whatever
  was counted after the reading stays for the next period. Redis TIME.

  Input:
    KEYS[1..7]  as read-room-7.lua

    ARGV[1] reading time ms       the end of the archived period
    ARGV[2] sessions at reading
    ARGV[3] viewers at reading
    ARGV[4] joins read
    ARGV[5] n                     number of ended live periods read (the live period itself
                                  when the reading found the room empty)
    ARGV[6 .. 5+n]                their starts (ms)
    ARGV[6+n ..]                  entry, joins read, entry, joins read, ...

  Output: 1 when the room has nothing left to archive (the caller drops it from the room index)
]]
local visibleKey  = KEYS[1]
local hiddenKey   = KEYS[2]
local viewersKey  = KEYS[3]
local periodKey   = KEYS[4]
local liveKey     = KEYS[5]
local uniquesKey  = KEYS[6]
local closedKey   = KEYS[7]

local readAt      = tonumber(ARGV[1])
local sessionsAt  = tonumber(ARGV[2])
local viewersAt   = tonumber(ARGV[3])
local joinsRead   = tonumber(ARGV[4])
local closedCount = tonumber(ARGV[5])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

if joinsRead > 0 then redis.call('HINCRBY', periodKey, 'j', -joinsRead) end
for i = 6 + closedCount, #ARGV, 2 do
  local field = 'e:' .. ARGV[i]
  if redis.call('HINCRBY', periodKey, field, -tonumber(ARGV[i + 1])) <= 0 then
    redis.call('HDEL', periodKey, field)
  end
end
local liveStart = redis.call('HGET', liveKey, 'start')
for i = 6, 5 + closedCount do
  redis.call('HDEL', closedKey, ARGV[i])
  if liveStart == ARGV[i] then redis.call('DEL', liveKey, uniquesKey) end
end

local sessions = redis.call('ZCOUNT', visibleKey, now, '+inf') + redis.call('ZCOUNT', hiddenKey, now, '+inf')
local viewers = redis.call('ZCOUNT', viewersKey, now, '+inf')

-- The next period starts at the reading, with the count of that moment as its first peak,
-- unless a heartbeat after the reading already set a higher one.
redis.call('HSET', periodKey, 'since', readAt)
local peaks = redis.call('HMGET', periodKey, 'pst', 'pvt')
if (tonumber(peaks[1]) or 0) <= readAt then
  if sessions > sessionsAt then redis.call('HSET', periodKey, 'ps', sessions, 'pst', now)
  else redis.call('HSET', periodKey, 'ps', sessionsAt, 'pst', readAt) end
end
if (tonumber(peaks[2]) or 0) <= readAt then
  if viewers > viewersAt then redis.call('HSET', periodKey, 'pv', viewers, 'pvt', now)
  else redis.call('HSET', periodKey, 'pv', viewersAt, 'pvt', readAt) end
end

-- Nothing left: no one online, no live period, nothing counted since the reading.
if sessions == 0 and redis.call('EXISTS', liveKey) == 0 and redis.call('EXISTS', closedKey) == 0
    and (tonumber(redis.call('HGET', periodKey, 'j')) or 0) == 0 then
  redis.call('DEL', periodKey)
  return 1
end
return 0
