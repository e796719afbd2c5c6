--[[
  Counts activity (SPEC 10) in one or more rooms at one Redis TIME, every event or none: the
  rooms' kinds are checked first, and nothing is written when one room would count more kinds in
  its open snapshot period than it may. Events go into the period accumulators beside the joins
  by entry ('k:<kind>'), so that readings, commits and failed writes carry them as they carry
  joins. A page's event (one room, one event) is counted only for a session online in the room,
  at most one per PAGE_GAP_MS.

  Input, one key per room: its key base '<prefix>:{room}:' (keys named as in heartbeats.lua):
      a period accumulators       hash: ..., kk kinds counted in the period, k:<kind> events
      s:<session> session key     the page's session (see sessionValue in lib.lua)
      y:<session> last event      string: store time ms of the session's latest counted event
    ARGV[1] max kinds             per room and period
    ARGV[2] mode                  'count', or 'check' (check the kinds only, write nothing: the
                                  first round of a batch spread over Cluster slots)
    ARGV[3] page session          the session of a page's event; '' for a site's backend
    ARGV[4] page gap ms           a page's session may count one event per this many ms
    then for each room:
      events                      how many of the room's events follow
      then 2 per event: kind, n

  Output: {now ms, outcome, then for each room 1 when this call began its accumulators (the
           caller adds it to the room index), else 0}
    outcome: 0 counted (or checked); -r the r-th room would count too many kinds; -1000 the page's
             session is offline; a positive number: too fast, retry after that many ms
]]
local maxKinds = tonumber(ARGV[1])
local mode     = ARGV[2]
local session  = ARGV[3]
local PAGE_GAP_MS = tonumber(ARGV[4])
local now = clock()
local nowMs = ms(now)

-- The rooms' events, by room: {base, kinds = {kind -> n}, order = {kind...}}.
local rooms = {}
local a = 5
for r = 1, #KEYS do
  local room = {base = KEYS[r], kinds = {}, order = {}}
  local events = tonumber(ARGV[a])
  a = a + 1
  for _ = 1, events do
    local kind, n = ARGV[a], tonumber(ARGV[a + 1])
    if not room.kinds[kind] then room.order[#room.order + 1] = kind end
    room.kinds[kind] = (room.kinds[kind] or 0) + n
    a = a + 2
  end
  rooms[r] = room
end

if session ~= '' then
  local base = rooms[1].base
  local value = redis.call('GET', base .. ROOM_KEYS.sessionPrefix .. session)
  local deadline
  if value then
    local flag, _, valueDeadline = parseSession(value)
    deadline = valueDeadline or tonumber(redis.call('ZSCORE', base .. (string.lower(flag) == 'v' and ROOM_KEYS.visible or ROOM_KEYS.hidden), session))
  end
  if not deadline or deadline < now then return {now, -1000} end
  local last = tonumber(redis.call('GET', base .. ROOM_KEYS.activityPrefix .. session))
  if last and now - last < PAGE_GAP_MS then return {now, PAGE_GAP_MS - (now - last)} end
end

-- Every room's kinds first: a call that would pass the limit in one room counts nothing.
for r, room in ipairs(rooms) do
  local period = room.base .. ROOM_KEYS.period
  local known = tonumber(redis.call('HGET', period, 'kk')) or 0
  local new = 0
  for _, kind in ipairs(room.order) do
    if redis.call('HEXISTS', period, 'k:' .. kind) == 0 then new = new + 1 end
  end
  if known + new > maxKinds then return {now, -r} end
end

local out = {now, 0}
if mode == 'check' then return out end
for r, room in ipairs(rooms) do
  local period = room.base .. ROOM_KEYS.period
  -- A room with nothing to archive gets its accumulators, as a join would begin them.
  local created = 0
  if redis.call('HSETNX', period, 'since', nowMs) == 1 then
    created = 1
    redis.call('HSET', period, 'ps', 0, 'pst', nowMs, 'pv', 0, 'pvt', nowMs, 'j', 0)
  end
  for _, kind in ipairs(room.order) do
    local n = room.kinds[kind]
    if redis.call('HINCRBY', period, 'k:' .. kind, n) == n then redis.call('HINCRBY', period, 'kk', 1) end
  end
  out[r + 2] = created
end
if session ~= '' then
  redis.call('SET', rooms[1].base .. ROOM_KEYS.activityPrefix .. session, nowMs, 'PX', PAGE_GAP_MS + KEY_SLACK_MS)
end
return out
