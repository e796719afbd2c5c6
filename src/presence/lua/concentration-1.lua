--[[
  Reads how concentrated a room is by client address: its online sessions and those of its
  busiest address, after taking expired sessions off their addresses. Costs the same for ten
  sessions and for a million, but for the sessions that expired since they were last taken off.

  Input:
    KEYS[1] the room's key base   '<prefix>:{room}:' (keys named as in heartbeats.lua)

  Output: {now ms, sessions, online sessions of the busiest address}
]]
local base = KEYS[1]
local visibleKey = base .. ROOM_KEYS.visible
local hiddenKey = base .. ROOM_KEYS.hidden
local addressesKey = base .. ROOM_KEYS.addresses

local now = clock()
local sessions = redis.call('ZCOUNT', visibleKey, now, '+inf') + redis.call('ZCOUNT', hiddenKey, now, '+inf')
settleAddresses(visibleKey, hiddenKey, addressesKey, base .. ROOM_KEYS.addressOf, now, sessions > 0)
return {now, sessions, busiestAddress(addressesKey)}
