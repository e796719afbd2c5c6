-- wrk script: refreshes of the listed viewers without a name in one room loaded by
-- bench/viewers-list.ts (session s<i>, viewer v<i>, i padded to 7 digits; every third viewer is
-- named and one in a hundred appears offline, which an open room's heartbeat would change), each
-- page on the client address that room was loaded with, behind a trusted proxy.
-- BENCH_ROOM names the room, BENCH_POOL its viewers; each run starts at BENCH_START, which the bench
-- moves on from run to run so that no session beats faster than its min gap.
local room = os.getenv("BENCH_ROOM") or "list-1000000"
local pool = tonumber(os.getenv("BENCH_POOL") or "1000000")
local counter = 0

function init(args)
  counter = tonumber(os.getenv("BENCH_START") or "0") % pool
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
  wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
end

function request()
  repeat
    counter = (counter + 1) % pool
  until counter % 3 ~= 0 and counter % 100 ~= 7
  local body = string.format('{"room":"%s","session":"s%07d","viewer":"v%07d","state":"visible"}',
    room, counter, counter)
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
    math.floor(counter / 65536) % 256, math.floor(counter / 256) % 256, counter % 256)
  return wrk.format(nil, "/v1/heartbeat", nil, body)
end
