--[[
  Records a leave: the session's deadline moves to now + grace (never later than it was), so a
  reload (leave, then a heartbeat with the same session) neither dips nor doubles the count, and
  its next heartbeat is never too soon. Unknown or expired sessions are fine. Redis TIME.

  Input:
    KEYS[1] session key         string: flag .. stretch .. viewer member (see heartbeats.lua)
    KEYS[2] visible sessions    zset: session -> deadline ms
    KEYS[3] hidden sessions     zset: session -> deadline ms
    KEYS[4] viewers             zset: viewer -> latest deadline ms of its sessions

    ARGV[1] session id
    ARGV[2] leave grace ms
    ARGV[3] tabs key prefix     per-viewer sorted sets (see lib.lua)

  Output: {left (1 when the session was online, else 0), now ms}
]]
local sessionKey  = KEYS[1]
local visibleKey  = KEYS[2]
local hiddenKey   = KEYS[3]
local viewersKey  = KEYS[4]

local session     = ARGV[1]
local graceMs     = tonumber(ARGV[2])
local tabsPrefix  = ARGV[3]

local now = clock()
local value = redis.call('GET', sessionKey)
if not value then return {0, now} end

local state = string.lower(string.sub(value, 1, 1))
local stretch = string.sub(value, 2, 2)
local viewer = string.sub(value, 3)
local stateKey = state == 'v' and visibleKey or hiddenKey
local deadline = tonumber(redis.call('ZSCORE', stateKey, session))
if not deadline or deadline < now then return {0, now} end

local left = math.min(deadline, now + graceMs)
redis.call('SET', sessionKey, string.upper(state) .. stretch .. viewer, 'PX', ms(left - now + KEY_SLACK_MS))
if left < deadline then
  redis.call('ZADD', stateKey, 'XX', left, session)
  moveViewer(viewersKey, tabsPrefix .. viewer, viewer, session, left, now)
end
return {1, now}
