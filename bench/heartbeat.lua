-- wrk script: heartbeats from distinct sessions over 1000 rooms (every one a join), each page on
-- its own client address behind a trusted proxy (X-Forwarded-For), as a browser sends them.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  -- Session ids unique to this run, so that repeated runs never hit the per-session limit.
  math.randomseed(os.time() + tid * 7919)
  run = string.format("%x", math.random(0, 2 ^ 30))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
  wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
end

function request()
  counter = counter + 1
  local body = string.format('{"room":"b%d","session":"s%s-%d-%09d","viewer":"v%s-%d-%d","state":"visible"}',
    counter % 1000, run, tid, counter, run, tid, counter)
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
    math.floor(counter / 65536) % 256, math.floor(counter / 256) % 256, counter % 256)
  return wrk.format(nil, "/v1/heartbeat", nil, body)
end
