--[[
  Which of some viewers are online and listed in a room (the green dot of a chat), at one Redis
  TIME: a viewer appearing offline reads exactly as one that is offline. Read-only.

  Input:
    KEYS[1] the room's key base   '<prefix>:{room}:' (keys named as in heartbeats.lua)
    ARGV    the viewer ids (at most 100, each once)

  Output: {now ms, then 1 or 0 per viewer, in the order given}
]]
local base = KEYS[1]
local now = clock()
local out = {now}
if #ARGV == 0 then return out end
local deadlines = redis.call('ZMSCORE', base .. ROOM_KEYS.viewers, unpack(ARGV))
local infos = redis.call('HMGET', base .. ROOM_KEYS.viewerInfo, unpack(ARGV))
for i = 1, #ARGV do
  local online = deadlines[i] and tonumber(deadlines[i]) >= now and infos[i] and isListed(select(3, parseInfo(infos[i])))
  out[i + 1] = online and 1 or 0
end
return out
