--[[
  Releases a lock only if this holder still has it.

  Input:
    KEYS[1] lock key
    ARGV[1] token   the value the holder set

  Output: 1 when released, 0 when the lock had expired or belongs to another holder
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
