-- wrk script: a room's count polled by many pages, each on its own client address behind a
-- trusted proxy (X-Forwarded-For), as dashboards and pages poll it. The room is the URL's path.
local counter = 0

function init(args)
  math.randomseed(os.time())
  counter = math.random(0, 2 ^ 24)
end

function request()
  counter = counter + 1
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
    math.floor(counter / 65536) % 256, math.floor(counter / 256) % 256, counter % 256)
  return wrk.format("GET", wrk.path)
end
