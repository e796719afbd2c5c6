--[[
  Records a leave: the session's deadline moves to now + grace (never later than it was), so a
  reload (leave, then a heartbeat with the same session) neither dips nor doubles the count.
  Unknown or expired sessions are fine. Redis TIME.

  Input:
    KEYS[1] session key         string: state ('v'|'h') .. viewer member
    KEYS[2] visible sessions    zset: session -> deadline ms
    KEYS[3] hidden sessions     zset: session -> deadline ms
    KEYS[4] viewers             zset: viewer -> latest deadline ms

    ARGV[1] session id
    ARGV[2] leave grace ms

  Output: 1 when a session was shortened, 0 otherwise
]]
local sessionKey  = KEYS[1]
local visibleKey  = KEYS[2]
local hiddenKey   = KEYS[3]
local viewersKey  = KEYS[4]

local session     = ARGV[1]
local graceMs     = tonumber(ARGV[2])

local previous = redis.call('GET', sessionKey)
if not previous then return 0 end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local deadline = now + graceMs

local stateKey = visibleKey
if string.sub(previous, 1, 1) == 'h' then stateKey = hiddenKey end
local viewer = string.sub(previous, 2)

local previousDeadline = tonumber(redis.call('ZSCORE', stateKey, session))
if not previousDeadline or previousDeadline <= deadline then return 0 end

redis.call('PEXPIRE', sessionKey, graceMs)
redis.call('ZADD', stateKey, 'XX', deadline, session)
-- The viewer follows this session only when this session set the viewer's deadline.
local viewerDeadline = tonumber(redis.call('ZSCORE', viewersKey, viewer))
if viewerDeadline and viewerDeadline == previousDeadline then
  redis.call('ZADD', viewersKey, 'XX', deadline, viewer)
end
return 1
