--[[
  After readings were written to PostgreSQL: drops the pending period and the ended live periods
  they held, and forgets a room with nothing left: no live period, no ended one, no pending period
  and no join nor activity since the reading. Such a room is empty (only a join brings a session online), so its
  keys go; its session and tabs keys expire on their own within KEY_SLACK_MS of their deadlines.
  One or more rooms per call (one at a time on Redis Cluster).

  Input, 10 keys per room, as read-rooms.lua; one argument per room, in the same order:
    ARGV[i] JSON array: reading time ms, the array of the starts (ms) of the ended live periods
                        read (the live period itself when the reading found the room empty), and
                        the online sessions the reading counted

  Output: one flag per room: 1 when it was forgotten (the caller drops it from the room index)
]]
local function commitRoom(visibleKey, hiddenKey, viewersKey, periodKey, pendingKey, liveKey, uniquesKey, closedKey, addressesKey, addressOfKey, reading)
  local readAt = ms(reading[1])
  -- The open period began at the latest reading: when that is this one, the pending period is
  -- exactly what was written (a later reading, not yet committed, merged more into it).
  local period = redis.call('HMGET', periodKey, 'since', 'j', 'kk')
  if period[1] == readAt then redis.call('DEL', pendingKey) end
  -- Most readings ended no live period: no call for the live period's start then.
  local liveStart = #reading[2] > 0 and redis.call('HGET', liveKey, 'start')
  for _, start in ipairs(reading[2]) do
    local field = ms(start)
    redis.call('HDEL', closedKey, field)
    if liveStart == field then redis.call('DEL', liveKey, uniquesKey) end
  end

  -- A room with sessions online at the reading had its live period open: it stays.
  if reading[3] > 0 or (tonumber(period[2]) or 0) > 0 or (tonumber(period[3]) or 0) > 0 then return 0 end
  if redis.call('EXISTS', liveKey, closedKey, pendingKey) == 0 then
    -- The online list's keys are named from the room's key base, as in heartbeats.lua.
    local base = string.sub(visibleKey, 1, -1 - #ROOM_KEYS.visible)
    redis.call('DEL', visibleKey, hiddenKey, viewersKey, periodKey, uniquesKey, addressesKey, addressOfKey,
      base .. ROOM_KEYS.listed, base .. ROOM_KEYS.hiddenViewers, base .. ROOM_KEYS.viewerInfo)
    return 1
  end
  return 0
end

local forget = {}
for i = 1, #ARGV do
  local r = (i - 1) * 10
  forget[i] = commitRoom(KEYS[r + 1], KEYS[r + 2], KEYS[r + 3], KEYS[r + 4], KEYS[r + 5], KEYS[r + 6], KEYS[r + 7], KEYS[r + 8], KEYS[r + 9], KEYS[r + 10],
    cjson.decode(ARGV[i]))
end
return forget
