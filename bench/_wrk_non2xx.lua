-- wrk counts only statuses of 400 and up as errors; a signed-out page answers 302 and
-- would pass. This counts every response outside 2xx, for bench/_common.py's wrk().
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx, last_status = 0, 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx, last_status = non2xx + 1, status
  end
end

function done(summary, latency, requests)
  local n, status = 0, 0
  for _, thread in ipairs(threads) do
    n = n + thread:get("non2xx")
    if thread:get("non2xx") > 0 then status = thread:get("last_status") end
  end
  io.write(string.format("non-2xx responses: %d (status %d)\n", n, status))
end
