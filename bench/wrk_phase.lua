-- One phase of scenario 2 for wrk: `wrk -s bench/wrk_phase.lua <url> -- <mode> ...`.
--   mode "plain":    every request is the URL given (the trivial GET, the hello world)
--   mode "checkout": POST .../room-bookings/BK-<n>/check-out/ of hotel <slug>, each request
--                    a different booking: n = first, first + 1, ... over all threads
-- At the end it prints one line "BENCH-JSON {...}" for bench/http_load.py.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  sent = 0
  if mode == "checkout" then
    slug, first, thread_count = args[2], tonumber(args[3]), tonumber(args[4])
  end
end

function request()
  if mode ~= "checkout" then
    plain = plain or wrk.format()
    return plain
  end
  local n = first + sent * thread_count + thread_index
  sent = sent + 1
  local path = "/api/staff/hotels/" .. slug .. "/room-bookings/BK-" .. n .. "/check-out/"
  return wrk.format("POST", path)
end

function done(summary, latency, requests)
  local sent_most = 0
  for _, thread in ipairs(threads) do
    sent_most = math.max(sent_most, thread:get("sent") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, '
      .. '"errors": %d, "sent_per_thread": %d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    errors.connect + errors.read + errors.write + errors.status + errors.timeout,
    sent_most
  ))
end
