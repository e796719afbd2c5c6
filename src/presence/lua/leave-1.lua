--[[
  Records a leave: the session's deadline moves to now + grace (never later than it was), so a
  reload (leave, then a heartbeat with the same session) neither dips nor doubles the count, and
  its next heartbeat is never too soon. Unknown or expired sessions are fine. Redis TIME.

  Input:
    KEYS[1] the room's key base   '<prefix>:{room}:' (keys named as in heartbeats.lua)

    ARGV[1] session id
    ARGV[2] leave grace ms

  Output: {left (1 when the session was online, else 0), now ms}
]]
local base        = KEYS[1]
local session     = ARGV[1]
local graceMs     = tonumber(ARGV[2])

local sessionKey  = base .. ROOM_KEYS.sessionPrefix .. session
local viewersKey  = base .. ROOM_KEYS.viewers

local now = clock()
local value = redis.call('GET', sessionKey)
if not value then return {0, now} end

local flag, stretch, deadline, viewer, address, said = parseSession(value)
local state = string.lower(flag)
local stateKey = base .. (state == 'v' and ROOM_KEYS.visible or ROOM_KEYS.hidden)
if not deadline then deadline = tonumber(redis.call('ZSCORE', stateKey, session)) end
if not deadline or deadline < now then return {0, now} end

local left = math.min(deadline, now + graceMs)
redis.call('SET', sessionKey, sessionValue(string.upper(state), stretch, left, viewer, address, said), 'PX', ms(left - now + KEY_SLACK_MS))
if left < deadline then
  redis.call('ZADD', stateKey, 'XX', left, session)
  local _, viewerDeadline = moveViewer(viewersKey, base .. ROOM_KEYS.tabsPrefix .. viewer, viewer, session, left, now)
  -- A viewer appearing offline keeps its deadline in the hidden viewers set too.
  redis.call('ZADD', base .. ROOM_KEYS.hiddenViewers, 'XX', viewerDeadline, viewer)
  -- The room's counts now hold until this earlier deadline at most: heartbeats count again.
  redis.call('DEL', base .. ROOM_KEYS.counts)
end
return {1, now}
