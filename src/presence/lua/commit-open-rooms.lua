--[[
  After readings were written to PostgreSQL, for the rooms whose reading found sessions online and
  ended no live period (most rooms of most snapshots): drops the pending period each reading
  wrote. Such a room keeps its live period, so it stays; commit-rooms.lua handles the others.
  One or more rooms per call (one at a time on Redis Cluster).

  Input, 2 keys per room, one argument per room, in the same order:
    KEYS[r+1] period accumulators hash: since is the time of the latest reading of the room
    KEYS[r+2] pending period      hash
    ARGV[i]   the reading's time, ms

  Output: 0
]]
for i = 1, #ARGV do
  -- When a later reading, not yet committed, merged more into the pending period, it stays.
  if redis.call('HGET', KEYS[2 * i - 1], 'since') == ARGV[i] then redis.call('DEL', KEYS[2 * i]) end
end
return 0
