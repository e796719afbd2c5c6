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
  closed = 'c', counts = 'n', addresses = 'x', addressOf = 'z', sessionPrefix = 's:', tabsPrefix = 't:',
  listed = 'o', hiddenViewers = 'q', viewerInfo = 'i', activityPrefix = 'y:',
}

--[[
  A session key's value: flag, stretch, deadline, viewer member and address in one string, so that
  one GET tells a heartbeat or a leave all they need of the session's latest heartbeat:
    flag      'v'|'h' the state; 'V'|'H' the same after a leave
    stretch   '1'-'9' the factor of its ttl
    deadline  13 digits, epoch ms
    '|'       (not an id character)
    viewer    the viewer member
    '|'
    address   the hashed client address of its latest heartbeat; '' when it named none
    '|'
    said      what its latest heartbeat said of its viewer (see saying below)
  Values written before what a heartbeat says was kept here end after the address (said is nil:
  unknown); those written before addresses were kept here end after the viewer (their session
  counts for no address); those written before deadlines were kept here hold flag, stretch and
  viewer only, and their deadline is the session's score in its state's sorted set.

  What a heartbeat says of its viewer ("said"), from its presence token: '+' listed or '-' appear
  offline, then the display name ('' for none). The latest accepted heartbeat naming a viewer
  decides both.
]]
local function sessionValue(flag, stretch, deadline, viewer, address, said)
  return flag .. stretch .. string.format('%013.0f', deadline) .. '|' .. viewer .. '|' .. address .. '|' .. (said or '')
end

-- Flag, stretch (number), deadline (ms, or nil for a value of the earliest layout), viewer,
-- address ('' for none) and said (nil when unknown).
local function parseSession(value)
  local flag = string.sub(value, 1, 1)
  local stretch = tonumber(string.sub(value, 2, 2))
  if string.byte(value, 16) ~= 124 then return flag, stretch, nil, string.sub(value, 3), '', nil end
  local deadline = tonumber(string.sub(value, 3, 15))
  local bar = string.find(value, '|', 17, true)
  if not bar then return flag, stretch, deadline, string.sub(value, 17), '', nil end
  local viewer = string.sub(value, 17, bar - 1)
  local second = string.find(value, '|', bar + 1, true)
  if not second then return flag, stretch, deadline, viewer, string.sub(value, bar + 1), nil end
  local said = string.sub(value, second + 1)
  return flag, stretch, deadline, viewer, string.sub(value, bar + 1, second - 1), said ~= '' and said or nil
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

-- The viewer's deadline becomes the latest of its tabs. Returns 1 when that left it offline, else
-- 0, and its deadline.
local function followTabs(viewersKey, tabsKey, viewer, now)
  local top = redis.call('ZREVRANGE', tabsKey, 0, 0, 'WITHSCORES')
  local deadline = tonumber(top[2])
  if deadline and deadline >= now then
    redis.call('ZADD', viewersKey, deadline, viewer)
    redis.call('PEXPIREAT', tabsKey, ms(deadline + KEY_SLACK_MS))
    return 0, deadline
  end
  redis.call('ZREM', viewersKey, viewer)
  redis.call('DEL', tabsKey)
  return 1, 0
end

-- An online session of the viewer has a new deadline. Returns whether the viewer has several
-- tabs, and its deadline.
local function moveViewer(viewersKey, tabsKey, viewer, session, deadline, now)
  if redis.call('EXISTS', tabsKey) == 0 then
    redis.call('ZADD', viewersKey, deadline, viewer)
    return false, deadline
  end
  if not redis.call('ZSCORE', tabsKey, session) then redis.call('ZREM', tabsKey, '?') end
  redis.call('ZADD', tabsKey, deadline, session)
  local _, latest = followTabs(viewersKey, tabsKey, viewer, now)
  return true, latest
end

-- An online session no longer has this viewer. Returns 1 when the viewer is offline now, else 0,
-- and its deadline.
local function detachViewer(viewersKey, tabsKey, viewer, session, now)
  if redis.call('EXISTS', tabsKey) == 0 then
    redis.call('ZREM', viewersKey, viewer)
    return 1, 0
  end
  if redis.call('ZREM', tabsKey, session) == 0 then redis.call('ZREM', tabsKey, '?') end
  return followTabs(viewersKey, tabsKey, viewer, now)
end

-- A session takes this viewer (it joined, or named another viewer before). Returns 1 when the
-- viewer was not online before, else 0; its deadline; and true when this made its tabs set.
-- firstTab: the session the viewer had alone until now, when known (its tabs set then names it;
-- '?' until it is seen again otherwise).
local function attachViewer(viewersKey, tabsKey, viewer, session, deadline, now, firstTab)
  local current = tonumber(redis.call('ZSCORE', viewersKey, viewer))
  if not current or current < now then
    redis.call('DEL', tabsKey)
    redis.call('ZADD', viewersKey, deadline, viewer)
    return 1, deadline, false
  end
  local made = redis.call('EXISTS', tabsKey) == 0
  if made then redis.call('ZADD', tabsKey, current, firstTab or '?') end
  redis.call('ZADD', tabsKey, deadline, session)
  local _, latest = followTabs(viewersKey, tabsKey, viewer, now)
  return 0, latest, made
end

--[[
  The online list (SPEC 9). Per room:
    listed   zset, every score 0: '<since, 13 digits>|<viewer>' for each listed viewer, so that
             a page is one ZRANGEBYLEX from the last position shown (since, then id). Members of
             viewers gone offline stay until a join trims the room or a page passes them.
    hidden   zset: viewer -> its deadline, for the viewers that asked not to be listed, so that
             ZCOUNT from now counts them. A viewer is in it while the latest heartbeat naming it
             said '-', with the same score as in the viewers set (every change of that mirrored).
    info     hash: viewer -> '<since, 13 digits>|<its session while it has one tab, '*' once it
             has several (its tabs set then names them)>|<said>'
  A refresh of a listed viewer with one tab that says what it said before costs nothing here.
]]

local function infoValue(since, session, said)
  return string.format('%013.0f', since) .. '|' .. session .. '|' .. said
end

-- Since (the 13 digits, as in the listed members), its one tab's session and said.
local function parseInfo(info)
  local bar = string.find(info, '|', 15, true)
  return string.sub(info, 1, 13), string.sub(info, 15, bar - 1), string.sub(info, bar + 1)
end

local function isListed(said) return string.sub(said, 1, 1) ~= '-' end

-- The viewer went offline (its last tab left it): it leaves the list's keys.
local function viewerGone(listedKey, hiddenKey, infoKey, viewer)
  local info = redis.call('HGET', infoKey, viewer)
  if not info then return end
  local since = parseInfo(info)
  redis.call('ZREM', listedKey, since .. '|' .. viewer)
  redis.call('HDEL', infoKey, viewer)
  redis.call('ZREM', hiddenKey, viewer)
end

-- The viewer came online now (info: what was left of an earlier stretch, or nil).
local function viewerCame(listedKey, hiddenKey, infoKey, viewer, session, said, deadline, now, info)
  if info then
    local since, _, before = parseInfo(info)
    redis.call('ZREM', listedKey, since .. '|' .. viewer)
    if not isListed(before) then redis.call('ZREM', hiddenKey, viewer) end
  end
  redis.call('HSET', infoKey, viewer, infoValue(now, session, said))
  if isListed(said) then
    redis.call('ZADD', listedKey, 0, string.format('%013.0f', now) .. '|' .. viewer)
  else
    redis.call('ZADD', hiddenKey, deadline, viewer)
  end
end

-- An online viewer was named by a heartbeat that said this; its deadline is now this. info: its
-- info when read already; severalTabs: this heartbeat gave it its second tab. A viewer online from
-- before its info was kept starts a stretch now.
local function viewerSaid(listedKey, hiddenKey, infoKey, viewer, session, said, deadline, now, info, severalTabs)
  info = info or redis.call('HGET', infoKey, viewer)
  if not info then
    return viewerCame(listedKey, hiddenKey, infoKey, viewer, session, said, deadline, now, nil)
  end
  local since, tab, before = parseInfo(info)
  if before ~= said or severalTabs then
    redis.call('HSET', infoKey, viewer, since .. '|' .. (severalTabs and '*' or tab) .. '|' .. said)
  end
  local wasListed, listed = isListed(before), isListed(said)
  if wasListed and not listed then
    redis.call('ZREM', listedKey, since .. '|' .. viewer)
  elseif listed and not wasListed then
    redis.call('ZADD', listedKey, 0, since .. '|' .. viewer)
    redis.call('ZREM', hiddenKey, viewer)
  end
  if not listed then redis.call('ZADD', hiddenKey, deadline, viewer) end
end

-- Viewers whose deadline passed leave the viewers set and the list's keys: at most
-- FORGOTTEN_PER_CALL of them, the earliest, so that no call grows with how many left at once (the
-- rest go with later joins; an expired member is never counted, as counts range from now).
local FORGOTTEN_PER_CALL = 1000
local function forgetExpiredViewers(viewersKey, listedKey, hiddenKey, infoKey, now)
  local gone = redis.call('ZRANGEBYSCORE', viewersKey, '-inf', '(' .. ms(now), 'LIMIT', 0, FORGOTTEN_PER_CALL)
  if #gone == 0 then return end
  local infos = redis.call('HMGET', infoKey, unpack(gone))
  local members = {}
  for j = 1, #gone do
    if infos[j] then members[#members + 1] = parseInfo(infos[j]) .. '|' .. gone[j] end
  end
  if #members > 0 then
    redis.call('ZREM', listedKey, unpack(members))
    redis.call('HDEL', infoKey, unpack(gone))
  end
  redis.call('ZREM', viewersKey, unpack(gone))
  redis.call('ZREM', hiddenKey, unpack(gone))
end

--[[
  Client addresses: the addresses sorted set holds each address's online sessions (address ->
  how many), so the busiest is its top member and a cap is one ZSCORE; the address-of hash holds
  the address of each online session that named one. A session counts for the address of its
  latest accepted heartbeat. A session that expires is taken off its address by settleAddresses,
  which every script that reads these calls first, whenever a session may have expired since.
]]

-- The address has one online session fewer.
local function dropAddress(addressesKey, address)
  if tonumber(redis.call('ZINCRBY', addressesKey, -1, address)) <= 0 then
    redis.call('ZREM', addressesKey, address)
  end
end

-- An online session's address is now this one ('' for none); it was the previous one.
local function moveAddress(addressesKey, addressOfKey, session, previous, address)
  if previous == address then return end
  if previous ~= '' then dropAddress(addressesKey, previous) end
  if address == '' then
    redis.call('HDEL', addressOfKey, session)
  else
    redis.call('HSET', addressOfKey, session, address)
    redis.call('ZINCRBY', addressesKey, 1, address)
  end
end

-- Takes every session that expired before now off its address (once: the address-of hash forgets
-- it). Expired members stay in the sessions sets (a live period's end is read from them) unless
-- trim. A session that expired in one state and came back in the other is in both sets, expired
-- in one and online in the other: it keeps its address.
local function settleAddresses(visibleKey, hiddenKey, addressesKey, addressOfKey, now, trim)
  local sets = {visibleKey, hiddenKey}
  for s, key in ipairs(sets) do
    local gone = redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. ms(now))
    for i = 1, #gone, 1000 do
      local some = {unpack(gone, i, math.min(i + 999, #gone))}
      local addresses = redis.call('HMGET', addressOfKey, unpack(some))
      local forgotten = {}
      for j = 1, #some do
        local session = some[j]
        if addresses[j] then
          local there = tonumber(redis.call('ZSCORE', sets[3 - s], session))
          if not there or there < now then
            forgotten[#forgotten + 1] = session
            dropAddress(addressesKey, addresses[j])
          end
        end
      end
      if #forgotten > 0 then redis.call('HDEL', addressOfKey, unpack(forgotten)) end
    end
    if trim and #gone > 0 then redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ms(now)) end
  end
end

-- Online sessions of the busiest address (after settleAddresses).
local function busiestAddress(addressesKey)
  local top = redis.call('ZREVRANGE', addressesKey, 0, 0, 'WITHSCORES')
  return tonumber(top[2]) or 0
end
