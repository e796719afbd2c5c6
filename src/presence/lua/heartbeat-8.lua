--[[
  Records one heartbeat: refreshes the session's deadline, updates the room's sets, its peaks,
  joins and live period. One call per heartbeat; all times are Redis TIME.

  Input:
    KEYS[1] session key         string: state ('v'|'h') .. viewer member, PX = ttl
    KEYS[2] visible sessions    zset: session -> deadline ms
    KEYS[3] hidden sessions     zset: session -> deadline ms
    KEYS[4] viewers             zset: viewer -> latest deadline ms
    KEYS[5] period accumulators hash: since, ps, pst, pv, pvt, j, e:<entry>
    KEYS[6] live period         hash: start, ps, pst, pv, pvt, j
    KEYS[7] live uniques        HyperLogLog of viewers
    KEYS[8] closed live periods hash: start -> JSON

    ARGV[1] session id
    ARGV[2] viewer member       the viewer, or '~' .. session
    ARGV[3] state               'v' visible | 'h' hidden
    ARGV[4] ttl ms              for this state
    ARGV[5] min gap ms          shortest allowed time between two heartbeats in the same state
    ARGV[6] entry               '' when none

  Output:
    {1, sessions, viewers, joined (0|1), now ms, deadline ms, created (0|1)}
                                created: this heartbeat began the room's accumulators, so the
                                caller adds the room to the room index
    {0, retry after ms}         when the session sends faster than the min gap
]]
local sessionKey  = KEYS[1]
local visibleKey  = KEYS[2]
local hiddenKey   = KEYS[3]
local viewersKey  = KEYS[4]
local periodKey   = KEYS[5]
local liveKey     = KEYS[6]
local uniquesKey  = KEYS[7]
local closedKey   = KEYS[8]

local session     = ARGV[1]
local viewer      = ARGV[2]
local state       = ARGV[3]
local ttlMs       = tonumber(ARGV[4])
local minGapMs    = tonumber(ARGV[5])
local entry       = ARGV[6]

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local previous = redis.call('GET', sessionKey)
local joined = previous == false

-- Rate limit per session: a repeat in the same state inside the min gap is refused.
-- Elapsed time is ttl - remaining ttl; after a leave the remaining ttl is the grace, so a
-- reload is never refused. A change of state is always accepted.
if previous and string.sub(previous, 1, 1) == state then
  local remainingMs = redis.call('PTTL', sessionKey)
  local elapsedMs = ttlMs - remainingMs
  if elapsedMs < minGapMs then
    return {0, minGapMs - elapsedMs}
  end
end

local stateKey, otherKey = visibleKey, hiddenKey
if state == 'h' then stateKey, otherKey = hiddenKey, visibleKey end

-- Only a join can find the room empty; a session that is online keeps its room live.
if joined and redis.call('ZCOUNT', visibleKey, now, '+inf') + redis.call('ZCOUNT', hiddenKey, now, '+inf') == 0 then
  -- The room was empty: a new live period starts. Keep the one that ended until it is archived;
  -- it ended at the latest deadline of its sessions.
  local start = redis.call('HGET', liveKey, 'start')
  if start then
    local last = 0
    for _, key in ipairs({visibleKey, hiddenKey}) do
      local top = redis.call('ZREVRANGEBYSCORE', key, '(' .. now, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
      if top[2] and tonumber(top[2]) > last then last = tonumber(top[2]) end
    end
    local l = redis.call('HGETALL', liveKey)
    local record = {}
    for i = 1, #l, 2 do record[l[i]] = tonumber(l[i + 1]) end
    record['end'] = last
    record['u'] = redis.call('PFCOUNT', uniquesKey)
    redis.call('HSET', closedKey, start, cjson.encode(record))
  end
  redis.call('DEL', liveKey, uniquesKey)
  redis.call('HSET', liveKey, 'start', now, 'ps', 0, 'pst', now, 'pv', 0, 'pvt', now, 'j', 0)
end

-- Expired members are trimmed lazily, here only.
redis.call('ZREMRANGEBYSCORE', visibleKey, '-inf', '(' .. now)
redis.call('ZREMRANGEBYSCORE', hiddenKey, '-inf', '(' .. now)
redis.call('ZREMRANGEBYSCORE', viewersKey, '-inf', '(' .. now)

-- A viewer's deadline is the latest of their sessions'. When this session set the viewer's
-- current deadline, it moves with it (a tab going from hidden to visible shortens it);
-- otherwise it only ever grows.
local stateChanged = previous and string.sub(previous, 1, 1) ~= state
local previousDeadline = false
if previous then previousDeadline = redis.call('ZSCORE', stateChanged and otherKey or stateKey, session) end
local viewerDeadline = redis.call('ZSCORE', viewersKey, viewer)
local deadline = now + ttlMs
redis.call('SET', sessionKey, state .. viewer, 'PX', ttlMs)
redis.call('ZADD', stateKey, deadline, session)
if stateChanged then redis.call('ZREM', otherKey, session) end
local newViewer
if previousDeadline and viewerDeadline and tonumber(viewerDeadline) == tonumber(previousDeadline) then
  newViewer = redis.call('ZADD', viewersKey, deadline, viewer)
else
  newViewer = redis.call('ZADD', viewersKey, 'GT', deadline, viewer)
end

local sessions = redis.call('ZCARD', visibleKey) + redis.call('ZCARD', hiddenKey)
local viewers = redis.call('ZCARD', viewersKey)

local created = 0
if joined then
  created = redis.call('HSETNX', periodKey, 'since', now)
  redis.call('HINCRBY', periodKey, 'j', 1)
  redis.call('HINCRBY', liveKey, 'j', 1)
  if entry ~= '' then redis.call('HINCRBY', periodKey, 'e:' .. entry, 1) end
  redis.call('PFADD', uniquesKey, viewer)
end

-- Counts only rise on a heartbeat that adds a session or a viewer, so comparing there keeps
-- every peak exact.
if joined or newViewer == 1 then
  for _, key in ipairs({periodKey, liveKey}) do
    local peaks = redis.call('HMGET', key, 'ps', 'pv')
    if sessions > (tonumber(peaks[1]) or -1) then redis.call('HSET', key, 'ps', sessions, 'pst', now) end
    if viewers > (tonumber(peaks[2]) or -1) then redis.call('HSET', key, 'pv', viewers, 'pvt', now) end
  end
end

return {1, sessions, viewers, joined and 1 or 0, now, deadline, created}
