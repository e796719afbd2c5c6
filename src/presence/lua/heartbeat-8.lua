--[[
  Records one heartbeat: refreshes the session's deadline, updates the room's sets, its peaks,
  joins and live period. One call per heartbeat; all times are Redis TIME.

  Input:
    KEYS[1] session key         string: flag .. stretch .. viewer member; flag 'v'|'h' is the
                                state, 'V'|'H' the same after a leave; stretch '1'-'9' the factor
                                of its ttl; expires KEY_SLACK_MS after the deadline
    KEYS[2] visible sessions    zset: session -> deadline ms
    KEYS[3] hidden sessions     zset: session -> deadline ms
    KEYS[4] viewers             zset: viewer -> latest deadline ms of its sessions
    KEYS[5] period accumulators hash: since, ps, pst, pv, pvt, j, e:<entry>
    KEYS[6] live period         hash: start, ps, pst, pv, pvt, j
    KEYS[7] live uniques        HyperLogLog of viewers
    KEYS[8] closed live periods hash: start -> JSON

    ARGV[1] session id
    ARGV[2] viewer member       the viewer, or '~' .. session
    ARGV[3] state               'v' visible | 'h' hidden
    ARGV[4] visible ttl ms
    ARGV[5] hidden ttl ms
    ARGV[6] visible interval ms a session may beat once per a third of its interval
    ARGV[7] hidden interval ms
    ARGV[8] entry               '' when none
    ARGV[9] tabs key prefix     per-viewer sorted sets (see lib.lua)
    ARGV[10] max viewer sessions a viewer may hold at most this many online sessions (signed
                                rooms); 0 for no limit
    ARGV[11] stretch            1-9: the ttl is this many times the state's ttl (under load)

  Output: {accepted (0|1), sessions, viewers, joined (0|1), now ms, created (0|1), retry after ms,
           refused because (0 accepted | 1 too fast | 2 too many sessions of the viewer)}
    created: this heartbeat began the room's accumulators, so the caller adds it to the room index
    retry after: when refused, the rest of the min gap, or one interval; else 0
]]
local sessionKey   = KEYS[1]
local visibleKey   = KEYS[2]
local hiddenKey    = KEYS[3]
local viewersKey   = KEYS[4]
local periodKey    = KEYS[5]
local liveKey      = KEYS[6]
local uniquesKey   = KEYS[7]
local closedKey    = KEYS[8]

local session      = ARGV[1]
local viewer       = ARGV[2]
local state        = ARGV[3]
local baseTtlMs    = tonumber(state == 'v' and ARGV[4] or ARGV[5])
local intervalMs   = tonumber(state == 'v' and ARGV[6] or ARGV[7])
local minGapMs     = math.floor(intervalMs / 3)
local entry        = ARGV[8]
local tabsPrefix   = ARGV[9]
local maxSessions  = tonumber(ARGV[10])
local stretch      = ARGV[11]
local ttlMs        = baseTtlMs * tonumber(stretch)

local now = clock()
local stateKey, otherKey = visibleKey, hiddenKey
if state == 'h' then stateKey, otherKey = hiddenKey, visibleKey end

-- The session as its latest heartbeat or leave left it; online while its deadline is not past.
local value = redis.call('GET', sessionKey)
local previousState, previousStretch, previousViewer, hasLeft, previousDeadline
if value then
  local flag = string.sub(value, 1, 1)
  previousState = string.lower(flag)
  hasLeft = flag ~= previousState
  previousStretch = tonumber(string.sub(value, 2, 2))
  previousViewer = string.sub(value, 3)
  previousDeadline = tonumber(redis.call('ZSCORE', previousState == 'v' and visibleKey or hiddenKey, session))
  if previousDeadline and previousDeadline < now then previousDeadline = nil end
end
local online = previousDeadline ~= nil

-- Too soon after its latest heartbeat in the same state (deadline = that heartbeat + the ttl it
-- was given). A leave or a change of state is never too soon.
if online and not hasLeft and previousState == state then
  local elapsedMs = now - (previousDeadline - baseTtlMs * previousStretch)
  if elapsedMs < minGapMs then return {0, 0, 0, 0, now, 0, minGapMs - elapsedMs, 1} end
end

-- A viewer of a signed room with all the sessions it may hold gets no new one.
if maxSessions > 0 and not (online and previousViewer == viewer)
    and viewerSessions(viewersKey, tabsPrefix .. viewer, viewer, now) >= maxSessions then
  return {0, 0, 0, 0, now, 0, intervalMs, 2}
end

local joined = not online
if joined and redis.call('ZCOUNT', visibleKey, ms(now), '+inf') + redis.call('ZCOUNT', hiddenKey, ms(now), '+inf') == 0 then
  -- The room was empty: a new live period starts; the one that ended waits for the archive.
  local start = redis.call('HGET', liveKey, 'start')
  if start then
    local l = redis.call('HGETALL', liveKey)
    local record = {}
    for i = 1, #l, 2 do record[l[i]] = tonumber(l[i + 1]) end
    record['end'] = liveEndOf(visibleKey, hiddenKey, start, now)
    record['u'] = redis.call('PFCOUNT', uniquesKey)
    redis.call('HSET', closedKey, start, cjson.encode(record))
  end
  redis.call('DEL', liveKey, uniquesKey)
  redis.call('HSET', liveKey, 'start', ms(now), 'ps', 0, 'pst', ms(now), 'pv', 0, 'pvt', ms(now), 'j', 0)
end

-- Expired members are trimmed lazily, here only, after the live period's end was taken.
redis.call('ZREMRANGEBYSCORE', visibleKey, '-inf', '(' .. ms(now))
redis.call('ZREMRANGEBYSCORE', hiddenKey, '-inf', '(' .. ms(now))
redis.call('ZREMRANGEBYSCORE', viewersKey, '-inf', '(' .. ms(now))

local deadline = now + ttlMs
redis.call('SET', sessionKey, state .. stretch .. viewer, 'PX', ttlMs + KEY_SLACK_MS)
redis.call('ZADD', stateKey, deadline, session)
if online and previousState ~= state then redis.call('ZREM', otherKey, session) end

local newViewer = 0
if online and previousViewer == viewer then
  moveViewer(viewersKey, tabsPrefix .. viewer, viewer, session, deadline, now)
else
  if online then detachViewer(viewersKey, tabsPrefix .. previousViewer, previousViewer, session, now) end
  newViewer = attachViewer(viewersKey, tabsPrefix .. viewer, viewer, session, deadline, now)
  redis.call('PFADD', uniquesKey, viewer)
end

local sessions = redis.call('ZCARD', visibleKey) + redis.call('ZCARD', hiddenKey)
local viewers = redis.call('ZCARD', viewersKey)

local created = 0
if joined then
  if redis.call('HSETNX', periodKey, 'since', ms(now)) == 1 then
    created = 1
    redis.call('HSET', periodKey, 'ps', 0, 'pst', ms(now), 'pv', 0, 'pvt', ms(now), 'j', 0)
  end
  redis.call('HINCRBY', periodKey, 'j', 1)
  redis.call('HINCRBY', liveKey, 'j', 1)
  if entry ~= '' then redis.call('HINCRBY', periodKey, 'e:' .. entry, 1) end
end

-- Counts rise only when a session joins or a viewer comes online, and only then can a peak move.
if joined or newViewer == 1 then
  for _, key in ipairs({periodKey, liveKey}) do
    local peaks = redis.call('HMGET', key, 'ps', 'pv')
    if sessions > (tonumber(peaks[1]) or -1) then redis.call('HSET', key, 'ps', sessions, 'pst', ms(now)) end
    if viewers > (tonumber(peaks[2]) or -1) then redis.call('HSET', key, 'pv', viewers, 'pvt', ms(now)) end
  end
end

return {1, sessions, viewers, joined and 1 or 0, now, created, 0, 0}
