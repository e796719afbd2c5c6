--[[
  Drops rooms from the room index, but only those not added again since a given time: a room
  that a heartbeat brought back after the archive read it keeps its place. A dropped room leaves
  the rooms list's indexes too.

  Input:
    KEYS[1] room index          zset: room -> store time (ms) its accumulators began
    KEYS[2] room sizes          zset: room -> -(sessions last seen)
    KEYS[3] room ids            zset: room -> 0
    ARGV[i], ARGV[i+1]          room, time ms: drop the room if its score is before that time

  Output: number of rooms dropped
]]
local indexKey = KEYS[1]
local sizesKey = KEYS[2]
local idsKey   = KEYS[3]
local dropped = 0
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', indexKey, ARGV[i])
  if score and tonumber(score) < tonumber(ARGV[i + 1]) then
    dropped = dropped + redis.call('ZREM', indexKey, ARGV[i])
    redis.call('ZREM', sizesKey, ARGV[i])
    redis.call('ZREM', idsKey, ARGV[i])
  end
end
return dropped
