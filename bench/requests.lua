-- wrk script of the benchmark.
--   wrk ... -s bench/requests.lua URL -- [FILE [START]]
-- FILE holds one prepared request a line: METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY. Requests are sent in
-- turn from line START on (so each ballot is a distinct voter and vote, each booking a new slot);
-- without FILE, wrk's own request (GET, headers from -H) is sent. At the end one line
-- "BENCH {json}" gives the figures the harness reads.

-- counter and statuses are globals: done() reads them from each thread with thread:get().
local prepared = {}
counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = args[1]
  counter = tonumber(args[2] or "0")
  if file and file ~= "" then
    for line in io.lines(file) do
      local method, path, token, body = line:match("^(%u+)\t([^\t]+)\t([^\t]*)\t(.*)$")
      if method then
        local headers = {}
        for name, value in pairs(wrk.headers) do headers[name] = value end
        headers["Content-Type"] = "application/json"
        if token ~= "" then headers["Authorization"] = "Bearer " .. token end
        table.insert(prepared, wrk.format(method, path, headers, body))
      end
    end
  end
end

function request()
  counter = counter + 1
  if #prepared == 0 then
    return wrk.request()
  end
  return prepared[((counter - 1) % #prepared) + 1]
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local issued = 0
  local counts = {}
  for _, thread in ipairs(threads) do
    local n = tonumber(thread:get("counter")) or 0
    if n > issued then issued = n end
    local seen = thread:get("statuses")
    for status, count in pairs(seen or {}) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "status_errors": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "cursor": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    issued, table.concat(parts, ", ")))
end
