--[[
  Records a batch of heartbeats at one Redis TIME, grouped by room: each refreshes its session's
  deadline and updates the room's sets, peaks, joins and live period, in order, exactly as if they
  had come one after another within the same millisecond. The service sends the heartbeats of one
  event-loop tick in one call (on Redis Cluster, one call per hash slot), so that Redis's cost per
  call and each room's counting are paid once per room and tick, not once per heartbeat.

  A refresh (a heartbeat of an online session in the same state, with the same viewer, client
  address and claims) costs one SET … GET and two ZADDs (and an EXISTS for the viewer's tabs; a
  ZADD more for a viewer appearing offline); everything else is per room and call, or only for
  joins and changes.

  Input, one key per room: its key base; the script names the room's keys from it (ROOM_KEYS in
  lib.lua), all in the base's hash slot:
    KEYS[r] key base              '<prefix>:{room}:'
      v visible sessions          zset: session -> deadline ms
      h hidden sessions           zset: session -> deadline ms
      w viewers                   zset: viewer -> latest deadline ms of its sessions
      a period accumulators       hash: since, ps, pst, pv, pvt, j, e:<entry>
      l live period               hash: start, ps, pst, pv, pvt, j
      u live uniques              HyperLogLog of viewers
      c closed live periods       hash: start -> JSON
      n counts                    hash: s sessions, w viewers, n ms: both exact while now <= n
                                  (n is at most the earliest deadline of an online session)
      x addresses                 zset: hashed client address -> its online sessions
      z address of                hash: session -> its address (sessions that named one)
      o listed viewers            zset of '<since>|<viewer>', scores 0 (the online list; lib.lua)
      q hidden viewers            zset: viewer -> its deadline, for viewers appearing offline
      i viewer info               hash: viewer -> since, its one tab, what it said (lib.lua)
      s:<session> session key     string: see sessionValue in lib.lua; expires KEY_SLACK_MS
                                  after the deadline

    ARGV[1] visible ttl ms
    ARGV[2] hidden ttl ms
    ARGV[3] visible interval ms   a session may beat once per a third of its interval
    ARGV[4] hidden interval ms
    ARGV[5] large room sessions   a room of n online sessions stretches each heartbeat's interval
                                  and ttl 1 + floor(n / this) times (at most 9); 0 for never
    ARGV[6] max address sessions  a new session from an address that holds this many online
                                  sessions of the room is refused; 0 for no limit
    then for each room:
      heartbeats                  how many of the room's heartbeats follow
      then 6 per heartbeat:
        session id
        viewer member             the viewer, or '~' .. session
        entry                     '' when none
        mode                      state 'v' visible | 'h' hidden, then the stretch '1'-'9' (the
                                  ttl is at least this many times the state's ttl, under load),
                                  then the most online sessions its viewer may hold (signed
                                  rooms; 0 for no limit), e.g. 'v10' or 'h32'
        address                   the hashed client address, '' when none
        said                      what it says of its viewer: '+' listed or '-' appearing
                                  offline, then the display name ('' for none)

  Output: {now ms, then 3 per heartbeat, in the order given}:
    accepted: sessions, viewers, joined (0|1) + 2 * created (0|1) + 4 * stretch (1-9)
    refused:  retry after ms, 0, -reason (1 too fast, 2 too many sessions of the viewer, 3 of
              the address)
    created: this heartbeat began the room's accumulators, so the caller adds it to the room index
    stretch: the factor the session's ttl and interval were given
    retry after: the rest of the min gap, or one interval
]]
local visibleTtlMs      = tonumber(ARGV[1])
local hiddenTtlMs       = tonumber(ARGV[2])
local visibleIntervalMs = tonumber(ARGV[3])
local hiddenIntervalMs  = tonumber(ARGV[4])
local largeRoomSessions = tonumber(ARGV[5])
local maxAddressSessions = tonumber(ARGV[6])
local MAX_STRETCH       = 9
-- The counts key lives as long as the longest ttl a session can be given; a missing one is counted.
local countsKeptMs      = math.max(visibleTtlMs, hiddenTtlMs) * MAX_STRETCH + KEY_SLACK_MS
-- Later than any deadline: the counts of an empty room hold until a session joins.
local NEVER             = 9007199254740991

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

-- The earliest deadline from now on in a sessions set, or NEVER.
local function firstDeadline(key)
  local first = redis.call('ZRANGEBYSCORE', key, nowMs, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  return tonumber(first[2]) or NEVER
end

-- A room's online sessions and viewers: from its counts key while they hold (no session has
-- expired since they were written), else counted by range from now. Kept up to date by each of
-- the call's heartbeats, and written back once at the end of the room's heartbeats when changed.
local function newRoom(base)
  local room = {
    visible = base .. ROOM_KEYS.visible, hidden = base .. ROOM_KEYS.hidden,
    viewers = base .. ROOM_KEYS.viewers, counts = base .. ROOM_KEYS.counts,
    base = base, tabsPrefix = base .. ROOM_KEYS.tabsPrefix,
    sessionPrefix = base .. ROOM_KEYS.sessionPrefix, trimmed = false, changed = false,
    addresses = base .. ROOM_KEYS.addresses, addressOf = base .. ROOM_KEYS.addressOf,
  }
  local counts = redis.call('HMGET', room.counts, 's', 'w', 'n')
  local validUntil = tonumber(counts[3])
  if validUntil and validUntil >= now and counts[1] and counts[2] then
    room.sessions, room.online, room.validUntil = tonumber(counts[1]), tonumber(counts[2]), validUntil
  else
    room.sessions = redis.call('ZCOUNT', room.visible, nowMs, '+inf') + redis.call('ZCOUNT', room.hidden, nowMs, '+inf')
    room.online = redis.call('ZCOUNT', room.viewers, nowMs, '+inf')
    -- Sessions expire only when the counts stop holding: the addresses catch up here. A live room
    -- trims what expired, as its live period's end lies ahead.
    settleAddresses(room.visible, room.hidden, room.addresses, room.addressOf, now, room.sessions > 0)
    room.validUntil = math.min(firstDeadline(room.visible), firstDeadline(room.hidden))
    room.changed = true
  end
  return room
end

local function saveCounts(room)
  if not room.changed then return end
  redis.call('HSET', room.counts, 's', room.sessions, 'w', room.online, 'n', ms(room.validUntil))
  redis.call('PEXPIRE', room.counts, countsKeptMs)
end

-- The keys only a join, a new viewer or a peak needs, named when first needed.
local function roomKey(room, name)
  local key = room[name]
  if not key then
    key = room.base .. ROOM_KEYS[name]
    room[name] = key
  end
  return key
end

-- The room was empty: a new live period starts; the one that ended waits for the archive.
local function startLivePeriod(room)
  local live, uniques = roomKey(room, 'live'), roomKey(room, 'uniques')
  local start = redis.call('HGET', live, 'start')
  if start then
    local l = redis.call('HGETALL', live)
    local record = {}
    for i = 1, #l, 2 do record[l[i]] = tonumber(l[i + 1]) end
    record['end'] = liveEndOf(room.visible, room.hidden, start, now)
    record['u'] = redis.call('PFCOUNT', uniques)
    redis.call('HSET', roomKey(room, 'closed'), start, cjson.encode(record))
  end
  redis.call('DEL', live, uniques)
  redis.call('HSET', live, 'start', nowMs, 'ps', 0, 'pst', nowMs, 'pv', 0, 'pvt', nowMs, 'j', 0)
end

local function beat(room, session, viewer, entry, mode, address, said)
  local state = string.sub(mode, 1, 1)
  local stretch = tonumber(string.sub(mode, 2, 2))
  local maxSessions = tonumber(string.sub(mode, 3))
  local baseTtlMs  = state == 'v' and visibleTtlMs or hiddenTtlMs
  local intervalMs = state == 'v' and visibleIntervalMs or hiddenIntervalMs
  local stateKey, otherKey = room.visible, room.hidden
  if state == 'h' then stateKey, otherKey = room.hidden, room.visible end
  local sessionKey = room.sessionPrefix .. session

  -- A large room tells its pages to come back less often, so its heartbeats a second level off.
  if largeRoomSessions > 0 then
    stretch = math.max(stretch, math.min(MAX_STRETCH, 1 + math.floor(room.sessions / largeRoomSessions)))
  end
  local ttlMs = baseTtlMs * stretch
  local deadline = now + ttlMs

  -- The session's new value goes in with the call that reads what its latest heartbeat or leave
  -- left there; a refused heartbeat puts that back (rare: a page that beats too fast, a viewer or
  -- an address with all the sessions it may hold). Online while that deadline is not past.
  local value = redis.call('SET', sessionKey, sessionValue(state, stretch, deadline, viewer, address, said), 'PX', ttlMs + KEY_SLACK_MS, 'GET')
  local previousState, previousStretch, previousViewer, hasLeft, previousDeadline, previousAddress, previousSaid
  if value then
    local flag
    flag, previousStretch, previousDeadline, previousViewer, previousAddress, previousSaid = parseSession(value)
    previousState = string.lower(flag)
    hasLeft = flag ~= previousState
    if not previousDeadline then
      previousDeadline = tonumber(redis.call('ZSCORE', previousState == 'v' and room.visible or room.hidden, session))
    end
  end
  local keptUntil = previousDeadline
  if previousDeadline and previousDeadline < now then previousDeadline = nil end
  local online = previousDeadline ~= nil

  local function refuse(retryAfterMs, reason)
    if value then
      redis.call('SET', sessionKey, value, 'PXAT', ms((keptUntil or now) + KEY_SLACK_MS))
    else
      redis.call('DEL', sessionKey)
    end
    return retryAfterMs, 0, -reason
  end

  -- Too soon after its latest heartbeat in the same state (deadline = that heartbeat + the ttl it
  -- was given). A leave or a change of state is never too soon.
  if online and not hasLeft and previousState == state then
    local elapsedMs = now - (previousDeadline - baseTtlMs * previousStretch)
    if elapsedMs < math.floor(intervalMs / 3) then
      return refuse(math.floor(intervalMs / 3) - elapsedMs, 1)
    end
  end

  -- A viewer of a signed room with all the sessions it may hold gets no new one.
  if maxSessions > 0 and not (online and previousViewer == viewer)
      and viewerSessions(room.viewers, room.tabsPrefix .. viewer, viewer, now) >= maxSessions then
    return refuse(intervalMs, 2)
  end

  -- Nor does an address with all the sessions it may hold; those online stay, wherever from.
  if maxAddressSessions > 0 and address ~= '' and not online
      and (tonumber(redis.call('ZSCORE', room.addresses, address)) or 0) >= maxAddressSessions then
    return refuse(intervalMs, 3)
  end

  local joined = not online
  if joined then
    if room.sessions == 0 then startLivePeriod(room) end
    -- After the live period's end was taken from the expired members; once per call, on one
    -- call in four (by the store time), as expired members only cost memory until then.
    if not room.trimmed and nowMs % 4 == 0 then
      redis.call('ZREMRANGEBYSCORE', room.visible, '-inf', '(' .. nowMs)
      redis.call('ZREMRANGEBYSCORE', room.hidden, '-inf', '(' .. nowMs)
      forgetExpiredViewers(room.viewers, roomKey(room, 'listed'), roomKey(room, 'hiddenViewers'), roomKey(room, 'viewerInfo'), now)
      room.trimmed = true
    end
    room.sessions = room.sessions + 1
    room.changed = true
  end

  redis.call('ZADD', stateKey, deadline, session)
  if online and previousState ~= state then redis.call('ZREM', otherKey, session) end
  -- An expired session was taken off its address when it expired (settleAddresses).
  moveAddress(room.addresses, room.addressOf, session, online and previousAddress or '', address)
  -- The counts hold until the earliest deadline; a later one (a refresh) leaves that as it was.
  if deadline < room.validUntil then
    room.validUntil = deadline
    room.changed = true
  end

  local newViewer = 0
  if online and previousViewer == viewer then
    local tabs, viewerDeadline = moveViewer(room.viewers, room.tabsPrefix .. viewer, viewer, session, deadline, now)
    -- One tab saying what it said before: the viewer's info holds already (the hot path).
    if tabs or previousSaid ~= said then
      viewerSaid(roomKey(room, 'listed'), roomKey(room, 'hiddenViewers'), roomKey(room, 'viewerInfo'), viewer, session, said, viewerDeadline, now, nil)
    elseif not isListed(said) then
      redis.call('ZADD', roomKey(room, 'hiddenViewers'), viewerDeadline, viewer)
    end
  else
    local listedKey, hiddenKey, infoKey = roomKey(room, 'listed'), roomKey(room, 'hiddenViewers'), roomKey(room, 'viewerInfo')
    if online then
      local gone, left = detachViewer(room.viewers, room.tabsPrefix .. previousViewer, previousViewer, session, now)
      if gone == 1 then
        viewerGone(listedKey, hiddenKey, infoKey, previousViewer)
      else
        redis.call('ZADD', hiddenKey, 'XX', left, previousViewer)
      end
      room.online = room.online - gone
    end
    local info = redis.call('HGET', infoKey, viewer)
    local viewerDeadline, severalTabs
    newViewer, viewerDeadline, severalTabs = attachViewer(room.viewers, room.tabsPrefix .. viewer, viewer, session, deadline, now, info and select(2, parseInfo(info)))
    if newViewer == 1 then
      viewerCame(listedKey, hiddenKey, infoKey, viewer, session, said, viewerDeadline, now, info)
    else
      viewerSaid(listedKey, hiddenKey, infoKey, viewer, session, said, viewerDeadline, now, info, severalTabs)
    end
    room.online = room.online + newViewer
    room.changed = true
    redis.call('PFADD', roomKey(room, 'uniques'), viewer)
  end

  local created = 0
  if joined then
    local period = roomKey(room, 'period')
    if redis.call('HSETNX', period, 'since', nowMs) == 1 then
      created = 1
      redis.call('HSET', period, 'ps', 0, 'pst', nowMs, 'pv', 0, 'pvt', nowMs, 'j', 0)
    end
    redis.call('HINCRBY', period, 'j', 1)
    redis.call('HINCRBY', roomKey(room, 'live'), 'j', 1)
    if entry ~= '' then redis.call('HINCRBY', period, 'e:' .. entry, 1) end
  end

  if joined or newViewer == 1 then
    raisePeaks(roomKey(room, 'period'), room.sessions, room.online)
    raisePeaks(roomKey(room, 'live'), room.sessions, room.online)
  end

  return room.sessions, room.online, (joined and 1 or 0) + 2 * created + 4 * stretch
end

local a = 7
for r = 1, #KEYS do
  local room = newRoom(KEYS[r])
  local heartbeats = tonumber(ARGV[a])
  a = a + 1
  for _ = 1, heartbeats do
    local n = #out
    out[n + 1], out[n + 2], out[n + 3] = beat(room, ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5])
    a = a + 6
  end
  saveCounts(room)
end
return out
