--[[
  Records a batch of heartbeats at one Redis TIME, grouped by room: each refreshes its session's
  deadline and updates the room's sets, peaks, joins and live period, in order, exactly as if they
  had come one after another within the same millisecond. The service sends the heartbeats of one
  event-loop tick in one call (on Redis Cluster, one call per hash slot), so that Redis's cost per
  call and each room's counting are paid once per room and tick, not once per heartbeat.

  Input, for each room in turn: its 7 keys, then the key of each of its heartbeats' sessions:
    KEYS[k+1] visible sessions    zset: session -> deadline ms
    KEYS[k+2] hidden sessions     zset: session -> deadline ms
    KEYS[k+3] viewers             zset: viewer -> latest deadline ms of its sessions
    KEYS[k+4] period accumulators hash: since, ps, pst, pv, pvt, j, e:<entry>
    KEYS[k+5] live period         hash: start, ps, pst, pv, pvt, j
    KEYS[k+6] live uniques        HyperLogLog of viewers
    KEYS[k+7] closed live periods hash: start -> JSON
    KEYS[k+7+i] session key       string: flag .. stretch .. viewer member; flag 'v'|'h' is the
                                  state, 'V'|'H' the same after a leave; stretch '1'-'9' the factor
                                  of its ttl; expires KEY_SLACK_MS after the deadline

    ARGV[1] visible ttl ms
    ARGV[2] hidden ttl ms
    ARGV[3] visible interval ms   a session may beat once per a third of its interval
    ARGV[4] hidden interval ms
    ARGV[5] large room sessions   a room of n online sessions stretches each heartbeat's interval
                                  and ttl 1 + floor(n / this) times (at most 9); 0 for never
    then for each room:
      tabs key prefix             per-viewer sorted sets (see lib.lua)
      heartbeats                  how many of the room's heartbeats follow
      then 6 per heartbeat:
        session id
        viewer member             the viewer, or '~' .. session
        state                     'v' visible | 'h' hidden
        entry                     '' when none
        max viewer sessions       a viewer may hold at most this many online sessions (signed
                                  rooms); 0 for no limit
        stretch                   1-9: the ttl is at least this many times the state's ttl
                                  (under load)

  Output: {now ms, then 8 per heartbeat, in the order given: accepted (0|1), sessions, viewers,
           joined (0|1), stretch (1-9, the factor the session's ttl and interval were given),
           created (0|1), retry after ms, refused because (0 accepted | 1 too fast | 2 too many
           sessions of the viewer)}
    created: this heartbeat began the room's accumulators, so the caller adds it to the room index
    retry after: when refused, the rest of the min gap, or one interval; else 0
]]
local visibleTtlMs      = tonumber(ARGV[1])
local hiddenTtlMs       = tonumber(ARGV[2])
local visibleIntervalMs = tonumber(ARGV[3])
local hiddenIntervalMs  = tonumber(ARGV[4])
local largeRoomSessions = tonumber(ARGV[5])
local MAX_STRETCH       = 9

local now = clock()
local nowMs = ms(now)
local out = {now}

-- Counts only rise when a session joins or a viewer comes online, and only then can a peak move.
local function raisePeaks(key, sessions, viewers)
  local peaks = redis.call('HMGET', key, 'ps', 'pv')
  local sessionsRose = sessions > (tonumber(peaks[1]) or -1)
  local viewersRose = viewers > (tonumber(peaks[2]) or -1)
  -- One HSET for whatever rose: a join with a new viewer raises both.
  if sessionsRose and viewersRose then
    redis.call('HSET', key, 'ps', sessions, 'pst', nowMs, 'pv', viewers, 'pvt', nowMs)
  elseif sessionsRose then
    redis.call('HSET', key, 'ps', sessions, 'pst', nowMs)
  elseif viewersRose then
    redis.call('HSET', key, 'pv', viewers, 'pvt', nowMs)
  end
end

-- A room's online sessions and viewers, counted once per call and then kept up to date by each
-- of its heartbeats; expired members are trimmed lazily, on joins only (counts range from now).
local function newRoom(k, tabsPrefix)
  local room = {
    visible = KEYS[k + 1], hidden = KEYS[k + 2], viewers = KEYS[k + 3], period = KEYS[k + 4],
    live = KEYS[k + 5], uniques = KEYS[k + 6], closed = KEYS[k + 7], tabsPrefix = tabsPrefix,
    trimmed = false,
  }
  room.sessions = redis.call('ZCOUNT', room.visible, nowMs, '+inf') + redis.call('ZCOUNT', room.hidden, nowMs, '+inf')
  room.online = redis.call('ZCOUNT', room.viewers, nowMs, '+inf')
  return room
end

-- The room was empty: a new live period starts; the one that ended waits for the archive.
local function startLivePeriod(room)
  local start = redis.call('HGET', room.live, 'start')
  if start then
    local l = redis.call('HGETALL', room.live)
    local record = {}
    for i = 1, #l, 2 do record[l[i]] = tonumber(l[i + 1]) end
    record['end'] = liveEndOf(room.visible, room.hidden, start, now)
    record['u'] = redis.call('PFCOUNT', room.uniques)
    redis.call('HSET', room.closed, start, cjson.encode(record))
  end
  redis.call('DEL', room.live, room.uniques)
  redis.call('HSET', room.live, 'start', nowMs, 'ps', 0, 'pst', nowMs, 'pv', 0, 'pvt', nowMs, 'j', 0)
end

local function beat(room, sessionKey, session, viewer, state, entry, maxSessions, stretch)
  local baseTtlMs  = state == 'v' and visibleTtlMs or hiddenTtlMs
  local intervalMs = state == 'v' and visibleIntervalMs or hiddenIntervalMs
  local stateKey, otherKey = room.visible, room.hidden
  if state == 'h' then stateKey, otherKey = room.hidden, room.visible end

  -- The session as its latest heartbeat or leave left it; online while its deadline is not past.
  local value = redis.call('GET', sessionKey)
  local previousState, previousStretch, previousViewer, hasLeft, previousDeadline
  if value then
    local flag = string.sub(value, 1, 1)
    previousState = string.lower(flag)
    hasLeft = flag ~= previousState
    previousStretch = tonumber(string.sub(value, 2, 2))
    previousViewer = string.sub(value, 3)
    previousDeadline = tonumber(redis.call('ZSCORE', previousState == 'v' and room.visible or room.hidden, session))
    if previousDeadline and previousDeadline < now then previousDeadline = nil end
  end
  local online = previousDeadline ~= nil

  -- Too soon after its latest heartbeat in the same state (deadline = that heartbeat + the ttl it
  -- was given). A leave or a change of state is never too soon.
  if online and not hasLeft and previousState == state then
    local elapsedMs = now - (previousDeadline - baseTtlMs * previousStretch)
    if elapsedMs < math.floor(intervalMs / 3) then
      return 0, 0, 0, 0, 0, 0, math.floor(intervalMs / 3) - elapsedMs, 1
    end
  end

  -- A viewer of a signed room with all the sessions it may hold gets no new one.
  if maxSessions > 0 and not (online and previousViewer == viewer)
      and viewerSessions(room.viewers, room.tabsPrefix .. viewer, viewer, now) >= maxSessions then
    return 0, 0, 0, 0, 0, 0, intervalMs, 2
  end

  -- A large room tells its pages to come back less often, so its heartbeats a second level off.
  if largeRoomSessions > 0 then
    stretch = math.max(stretch, math.min(MAX_STRETCH, 1 + math.floor(room.sessions / largeRoomSessions)))
  end
  local ttlMs = baseTtlMs * stretch

  local joined = not online
  if joined then
    if room.sessions == 0 then startLivePeriod(room) end
    -- After the live period's end was taken from the expired members; once per call, on one
    -- call in four (by the store time), as expired members only cost memory until then.
    if not room.trimmed and nowMs % 4 == 0 then
      redis.call('ZREMRANGEBYSCORE', room.visible, '-inf', '(' .. nowMs)
      redis.call('ZREMRANGEBYSCORE', room.hidden, '-inf', '(' .. nowMs)
      redis.call('ZREMRANGEBYSCORE', room.viewers, '-inf', '(' .. nowMs)
      room.trimmed = true
    end
    room.sessions = room.sessions + 1
  end

  local deadline = now + ttlMs
  redis.call('SET', sessionKey, state .. stretch .. viewer, 'PX', ttlMs + KEY_SLACK_MS)
  redis.call('ZADD', stateKey, deadline, session)
  if online and previousState ~= state then redis.call('ZREM', otherKey, session) end

  local newViewer = 0
  if online and previousViewer == viewer then
    moveViewer(room.viewers, room.tabsPrefix .. viewer, viewer, session, deadline, now)
  else
    if online then
      room.online = room.online - detachViewer(room.viewers, room.tabsPrefix .. previousViewer, previousViewer, session, now)
    end
    newViewer = attachViewer(room.viewers, room.tabsPrefix .. viewer, viewer, session, deadline, now)
    room.online = room.online + newViewer
    redis.call('PFADD', room.uniques, viewer)
  end

  local created = 0
  if joined then
    if redis.call('HSETNX', room.period, 'since', nowMs) == 1 then
      created = 1
      redis.call('HSET', room.period, 'ps', 0, 'pst', nowMs, 'pv', 0, 'pvt', nowMs, 'j', 0)
    end
    redis.call('HINCRBY', room.period, 'j', 1)
    redis.call('HINCRBY', room.live, 'j', 1)
    if entry ~= '' then redis.call('HINCRBY', room.period, 'e:' .. entry, 1) end
  end

  if joined or newViewer == 1 then
    raisePeaks(room.period, room.sessions, room.online)
    raisePeaks(room.live, room.sessions, room.online)
  end

  return 1, room.sessions, room.online, joined and 1 or 0, stretch, created, 0, 0
end

local k, a = 0, 6
while a <= #ARGV do
  local room = newRoom(k, ARGV[a])
  local heartbeats = tonumber(ARGV[a + 1])
  k, a = k + 7, a + 2
  for _ = 1, heartbeats do
    k = k + 1
    local accepted, sessions, viewers, joined, stretch, created, retryAfterMs, refused =
      beat(room, KEYS[k], ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]))
    local n = #out
    out[n + 1], out[n + 2], out[n + 3], out[n + 4] = accepted, sessions, viewers, joined
    out[n + 5], out[n + 6], out[n + 7], out[n + 8] = stretch, created, retryAfterMs, refused
    a = a + 6
  end
end
return out
