--[[
  After readings were written to PostgreSQL: takes away what was read, so whatever was counted
  after a reading stays for the next period. One or more rooms per call (one at a time on Redis
  Cluster). Redis TIME.

  Input, 7 keys per room, as read-rooms.lua; one argument per room, in the same order:
    ARGV[i] JSON: [reading time ms, sessions at reading, viewers at reading, joins read,
                   [starts (ms) of the ended live periods read, including the live period
                    itself when the reading found the room empty],
                   {entry: joins read, ...}]

  Output: one flag per room: 1 when it has nothing left to archive (the caller drops it from
          the room index), 0 otherwise
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local function commitRoom(visibleKey, hiddenKey, viewersKey, periodKey, liveKey, uniquesKey, closedKey, reading)
  local readAt      = reading[1]
  local sessionsAt  = reading[2]
  local viewersAt   = reading[3]
  local joinsRead   = reading[4]
  local endedStarts = reading[5]
  local entries     = reading[6]

  if joinsRead > 0 then redis.call('HINCRBY', periodKey, 'j', -joinsRead) end
  for entry, joins in pairs(entries) do
    local field = 'e:' .. entry
    if redis.call('HINCRBY', periodKey, field, -joins) <= 0 then redis.call('HDEL', periodKey, field) end
  end
  local liveStart = redis.call('HGET', liveKey, 'start')
  for _, start in ipairs(endedStarts) do
    local field = string.format('%.0f', start)
    redis.call('HDEL', closedKey, field)
    if liveStart == field then redis.call('DEL', liveKey, uniquesKey) end
  end

  local sessions = redis.call('ZCOUNT', visibleKey, now, '+inf') + redis.call('ZCOUNT', hiddenKey, now, '+inf')
  local viewers = redis.call('ZCOUNT', viewersKey, now, '+inf')

  -- The next period starts at the reading, with the count of that moment as its first peak,
  -- unless a heartbeat after the reading already set a higher one.
  redis.call('HSET', periodKey, 'since', string.format('%.0f', readAt))
  local peaks = redis.call('HMGET', periodKey, 'pst', 'pvt')
  if (tonumber(peaks[1]) or 0) <= readAt then
    if sessions > sessionsAt then redis.call('HSET', periodKey, 'ps', sessions, 'pst', now)
    else redis.call('HSET', periodKey, 'ps', sessionsAt, 'pst', string.format('%.0f', readAt)) end
  end
  if (tonumber(peaks[2]) or 0) <= readAt then
    if viewers > viewersAt then redis.call('HSET', periodKey, 'pv', viewers, 'pvt', now)
    else redis.call('HSET', periodKey, 'pv', viewersAt, 'pvt', string.format('%.0f', readAt)) end
  end

  -- Nothing left: no one online, no live period, nothing counted since the reading.
  if sessions == 0 and redis.call('EXISTS', liveKey) == 0 and redis.call('EXISTS', closedKey) == 0
      and (tonumber(redis.call('HGET', periodKey, 'j')) or 0) == 0 then
    redis.call('DEL', periodKey)
    return 1
  end
  return 0
end

local forget = {}
for i = 1, #ARGV do
  local r = (i - 1) * 7
  forget[i] = commitRoom(KEYS[r + 1], KEYS[r + 2], KEYS[r + 3], KEYS[r + 4], KEYS[r + 5], KEYS[r + 6], KEYS[r + 7],
    cjson.decode(ARGV[i]))
end
return forget
