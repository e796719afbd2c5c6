--[[
  Writes the sizes of rooms into the rooms list's indexes: from heartbeat outcomes (batched, at
  most once a second per instance) and from the live counts a page of the list read. A room seen
  empty leaves both indexes; the next heartbeat puts it back.

  Input:
    KEYS[1] room sizes          zset: room -> -(sessions last seen)
    KEYS[2] room ids            zset: room -> 0
    ARGV[i], ARGV[i+1]          room, sessions

  Output: number of rooms written
]]
local sizesKey = KEYS[1]
local idsKey   = KEYS[2]
for i = 1, #ARGV, 2 do
  local room, sessions = ARGV[i], tonumber(ARGV[i + 1])
  if sessions > 0 then
    redis.call('ZADD', sizesKey, -sessions, room)
    redis.call('ZADD', idsKey, 'NX', 0, room)
  else
    redis.call('ZREM', sizesKey, room)
    redis.call('ZREM', idsKey, room)
  end
end
return #ARGV / 2
