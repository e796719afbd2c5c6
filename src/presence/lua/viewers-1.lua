--[[
  Reads one page of a room's online list (SPEC 9): its listed online viewers after a position, in
  list order (since, then id), and how many viewers are online and hidden, all at one Redis TIME.
  A page costs O(log n + limit): one ZRANGEBYLEX from the position, one ZMSCORE for the viewers
  with one tab, and two calls for each viewer with several. Members of viewers that went offline are taken out as the page passes them (at most
  STALE_PER_PAGE per call, so no call grows with how many left at once); a page that meets that many
  ends early, with its position, and the next page goes on from there.

  Input:
    KEYS[1] the room's key base   '<prefix>:{room}:' (keys named as in heartbeats.lua)
    ARGV[1] position              '<since, 13 digits>|<viewer>' of the last viewer shown; '' for
                                  the first page
    ARGV[2] limit                 at most this many viewers (1-100)

  Output: {now ms, online viewers, hidden viewers, next position ('' when no listed viewer
           follows), then 5 per viewer: id, since ms, said, visible (0|1), tabs}
]]
local base       = KEYS[1]
local after      = ARGV[1]
local limit      = tonumber(ARGV[2])
local listedKey  = base .. ROOM_KEYS.listed
local viewersKey = base .. ROOM_KEYS.viewers
local infoKey    = base .. ROOM_KEYS.viewerInfo
local visibleKey = base .. ROOM_KEYS.visible
-- Members of viewers gone offline that one call takes out at most.
local STALE_PER_PAGE = 1000

local now = clock()
local total = redis.call('ZCOUNT', viewersKey, now, '+inf')
local hidden = redis.call('ZCOUNT', base .. ROOM_KEYS.hiddenViewers, now, '+inf')
local out = {now, total, hidden, ''}

-- A viewer with several tabs: how many are online, and 1 when one of them is in the foreground.
local function tabsOf(viewer)
  local sessions = redis.call('ZRANGEBYSCORE', base .. ROOM_KEYS.tabsPrefix .. viewer, now, '+inf')
  if #sessions == 0 then return 1, 0 end
  local deadlines = redis.call('ZMSCORE', visibleKey, unpack(sessions))
  for i = 1, #sessions do
    if deadlines[i] and tonumber(deadlines[i]) >= now then return #sessions, 1 end
  end
  return #sessions, 0
end

-- The page's viewers, then their tabs: one ZMSCORE for all the viewers with one tab.
local shown = {}
local function finish()
  local single, at = {}, {}
  for i, v in ipairs(shown) do
    if v.tab ~= '*' and v.tab ~= '' then
      single[#single + 1] = v.tab
      at[#single] = i
    else
      v.tabs, v.visible = tabsOf(v.id)
    end
  end
  if #single > 0 then
    local deadlines = redis.call('ZMSCORE', visibleKey, unpack(single))
    for j = 1, #single do
      local v = shown[at[j]]
      v.tabs, v.visible = 1, (deadlines[j] and tonumber(deadlines[j]) >= now) and 1 or 0
    end
  end
  for _, v in ipairs(shown) do
    local n = #out
    out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5] = v.id, tonumber(v.since), v.said, v.visible, v.tabs
  end
  return out
end

local from = after == '' and '-' or '(' .. after
local stale, last = 0, nil
while true do
  local members = redis.call('ZRANGEBYLEX', listedKey, from, '+', 'LIMIT', 0, limit + 1 - #shown)
  if #members == 0 then break end
  local ids = {}
  for i, member in ipairs(members) do ids[i] = string.sub(member, 15) end
  local deadlines = redis.call('ZMSCORE', viewersKey, unpack(ids))
  local infos = redis.call('HMGET', infoKey, unpack(ids))
  for i, member in ipairs(members) do
    local viewer, info = ids[i], infos[i]
    local since, tab, said
    if info then since, tab, said = parseInfo(info) end
    local online = deadlines[i] and tonumber(deadlines[i]) >= now
    if online and since == string.sub(member, 1, 13) and isListed(said) then
      if #shown == limit then
        out[4] = last
        return finish()
      end
      shown[#shown + 1] = {id = viewer, since = since, said = said, tab = tab}
      last = member
    else
      -- Gone offline (or back since, under another member): out of the list, and its info with it.
      redis.call('ZREM', listedKey, member)
      if info and not online then redis.call('HDEL', infoKey, viewer) end
      stale = stale + 1
      if stale >= STALE_PER_PAGE then
        out[4] = member
        return finish()
      end
    end
    from = '(' .. member
  end
end
return finish()
