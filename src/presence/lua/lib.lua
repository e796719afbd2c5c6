--[[
  Shared by the presence scripts: prepended to each script when it is loaded, so that the clock,
  the end of a live period and the viewer bookkeeping are written once.

  Viewers: the viewers sorted set holds each viewer's latest session deadline, so ZCOUNT from now
  counts the viewers with an online session, exactly. A viewer with one session needs nothing
  more. A viewer with several keeps a sorted set of them (its "tabs": session -> deadline), so that
  when one tab leaves or moves to another viewer the viewer's deadline falls back to its latest
  other tab. The tabs set is made when a second session arrives; the first is entered as '?' (not
  a session id character) until it is seen again. Tabs keys share the room's hash tag, so the
  scripts touch one slot on Redis Cluster; their names come from the tabs prefix argument.
]]

-- Keys outlive the deadline they stand for by this much, ms: a deadline decides, never an expiry.
local KEY_SLACK_MS = 1000

-- A room's keys, named from its key base '<prefix>:{room}:' (src/presence/keys.ts names the same
-- keys with the same suffixes for the scripts that are passed them one by one). Every key of a
-- room carries its hash tag, so a script that is passed the base touches the base's slot only.
local ROOM_KEYS = {
  visible = 'v', hidden = 'h', viewers = 'w', period = 'a', live = 'l', uniques = 'u',
  closed = 'c', counts = 'n', sessionPrefix = 's:', tabsPrefix = 't:',
}

--[[
  A session key's value: flag, stretch, deadline and viewer member in one string, so that one GET
  tells a heartbeat or a leave all they need of the session's latest heartbeat:
    flag      'v'|'h' the state; 'V'|'H' the same after a leave
    stretch   '1'-'9' the factor of its ttl
    deadline  13 digits, epoch ms
    '|'       (not an id character)
    viewer    the viewer member
  Values written before deadlines were kept here hold flag, stretch and viewer only; their
  deadline is the session's score in its state's sorted set.
]]
local function sessionValue(flag, stretch, deadline, viewer)
  return flag .. stretch .. string.format('%013.0f', deadline) .. '|' .. viewer
end

-- Flag, stretch (number), deadline (ms, or nil for a value of the earlier layout) and viewer.
local function parseSession(value)
  local flag = string.sub(value, 1, 1)
  local stretch = tonumber(string.sub(value, 2, 2))
  if string.byte(value, 16) == 124 then
    return flag, stretch, tonumber(string.sub(value, 3, 15)), string.sub(value, 17)
  end
  return flag, stretch, nil, string.sub(value, 3)
end

local function clock()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function ms(n) return string.format('%.0f', n) end

-- When an empty room's live period ended: the latest deadline of its sessions, all before now.
-- Joins trim expired sessions only after taking this, so the last ones are still there.
local function liveEndOf(visibleKey, hiddenKey, start, now)
  local last = tonumber(start)
  for _, key in ipairs({visibleKey, hiddenKey}) do
    local top = redis.call('ZREVRANGEBYSCORE', key, '(' .. ms(now), '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
    if top[2] and tonumber(top[2]) > last then last = tonumber(top[2]) end
  end
  return last
end

-- How many online sessions the viewer has.
local function viewerSessions(viewersKey, tabsKey, viewer, now)
  local deadline = tonumber(redis.call('ZSCORE', viewersKey, viewer))
  if not deadline or deadline < now then return 0 end
  if redis.call('EXISTS', tabsKey) == 0 then return 1 end
  return redis.call('ZCOUNT', tabsKey, ms(now), '+inf')
end

-- The viewer's deadline becomes the latest of its tabs. Returns 1 when that left it offline.
local function followTabs(viewersKey, tabsKey, viewer, now)
  local top = redis.call('ZREVRANGE', tabsKey, 0, 0, 'WITHSCORES')
  local deadline = tonumber(top[2])
  if deadline and deadline >= now then
    redis.call('ZADD', viewersKey, deadline, viewer)
    redis.call('PEXPIREAT', tabsKey, ms(deadline + KEY_SLACK_MS))
    return 0
  end
  redis.call('ZREM', viewersKey, viewer)
  redis.call('DEL', tabsKey)
  return 1
end

-- An online session of the viewer has a new deadline.
local function moveViewer(viewersKey, tabsKey, viewer, session, deadline, now)
  if redis.call('EXISTS', tabsKey) == 0 then
    redis.call('ZADD', viewersKey, deadline, viewer)
    return
  end
  if not redis.call('ZSCORE', tabsKey, session) then redis.call('ZREM', tabsKey, '?') end
  redis.call('ZADD', tabsKey, deadline, session)
  followTabs(viewersKey, tabsKey, viewer, now)
end

-- An online session no longer has this viewer. Returns 1 when the viewer is offline now.
local function detachViewer(viewersKey, tabsKey, viewer, session, now)
  if redis.call('EXISTS', tabsKey) == 0 then
    redis.call('ZREM', viewersKey, viewer)
    return 1
  end
  if redis.call('ZREM', tabsKey, session) == 0 then redis.call('ZREM', tabsKey, '?') end
  return followTabs(viewersKey, tabsKey, viewer, now)
end

-- A session takes this viewer (it joined, or named another viewer before). Returns 1 when the
-- viewer was not online before.
local function attachViewer(viewersKey, tabsKey, viewer, session, deadline, now)
  local current = tonumber(redis.call('ZSCORE', viewersKey, viewer))
  if not current or current < now then
    redis.call('DEL', tabsKey)
    redis.call('ZADD', viewersKey, deadline, viewer)
    return 1
  end
  if redis.call('EXISTS', tabsKey) == 0 then redis.call('ZADD', tabsKey, current, '?') end
  redis.call('ZADD', tabsKey, deadline, session)
  followTabs(viewersKey, tabsKey, viewer, now)
  return 0
end
