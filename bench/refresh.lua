-- wrk script: heartbeats of sessions already online (refreshes) over 1 000 rooms, each page on its
-- own client address behind a trusted proxy (X-Forwarded-For), as a browser sends them.
-- BENCH_POOL sessions s<i> (viewer v<i>, room r<i % 1000>) must be online before the run; each
-- run starts at a random place in the pool so that no session beats faster than its min gap.
local pool = tonumber(os.getenv("BENCH_POOL") or "300000")
local counter = 0

function init(args)
  math.randomseed(os.time())
  counter = math.random(0, pool - 1)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
  wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
end

function request()
  counter = (counter + 1) % pool
  local body = string.format('{"room":"r%d","session":"s%08d","viewer":"v%08d","state":"visible"}',
    counter % 1000, counter, counter)
  -- wrk.format takes these headers instead of wrk.headers, not on top of them.
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
    math.floor(counter / 65536) % 256, math.floor(counter / 256) % 256, counter % 256)
  return wrk.format(nil, "/v1/heartbeat", nil, body)
end
