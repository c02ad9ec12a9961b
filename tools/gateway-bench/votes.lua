-- wrk script for the TVS gateway benchmark (run.sh; docs/PERFORMANCE.md, "Gateway").
-- Every request POSTs one real sealed vote from the file `tvs dev votes` wrote, cycling through
-- them, with its nullifier header and Content-Type, to /v1/elections/{id}/votes. Counts answers
-- by status and prints wrk's latency percentiles and the counts as one JSON line (RESULT ...).
-- Usage: wrk -t2 -c64 -d20s --latency -s votes.lua http://127.0.0.1:PORT -- ELECTION VOTES.bin
-- TVS_WRK_NO_STATUS=1 drops the per-response Lua hook (wrk then only counts status > 399, and
-- parses no headers for Lua: a little less load-generator CPU).

local requests = {}
local nextIndex = 1
-- Globals, not locals: wrk's thread:set / thread:get reach a thread's globals only.
counts = {}
thread_id = 0

local threads = {}
local thread_count = 0

-- Main state: give each thread its own starting point in the vote list.
function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
  threads[thread_count] = thread
end

local function be32(s, p)
  local a, b, c, d = s:byte(p, p + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

function init(args)
  local election, path = args[1], args[2]
  if not election or not path then
    error("usage: ... -s votes.lua URL -- ELECTION VOTES.bin")
  end
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  local target = "/v1/elections/" .. election .. "/votes"
  -- votes.bin: per vote nullifier (32) || body length (4, big-endian) || body.
  local p = 1
  while p <= #data do
    local key = data:sub(p, p + 31)
    local n = be32(data, p + 32)
    local body = data:sub(p + 36, p + 35 + n)
    p = p + 36 + n
    local hex = key:gsub(".", function(c) return string.format("%02x", c:byte()) end)
    -- Preformatted once: request() hands wrk the same string, no per-request Lua work.
    requests[#requests + 1] = wrk.format("POST", target, {
      ["Content-Type"] = "application/octet-stream",
      ["X-TVS-Nullifier"] = hex,
    }, body)
  end
  if #requests == 0 then
    error("no votes in " .. path)
  end
  -- Threads start at different places so that concurrent requests carry different votes.
  nextIndex = (thread_id * 997) % #requests + 1
end

function request()
  local r = requests[nextIndex]
  nextIndex = nextIndex + 1
  if nextIndex > #requests then
    nextIndex = 1
  end
  return r
end

if os.getenv("TVS_WRK_NO_STATUS") ~= "1" then
  function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
  end
end

function done(summary, latency, requests_)
  local byStatus = {}
  local non2xx = 0
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    if c then
      for status, n in pairs(c) do
        byStatus[status] = (byStatus[status] or 0) + n
        if status < 200 or status > 299 then
          non2xx = non2xx + n
        end
      end
    end
  end
  local statusJson = {}
  for status, n in pairs(byStatus) do
    statusJson[#statusJson + 1] = string.format('"%d":%d', status, n)
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'RESULT {"tool":"wrk","duration_s":%.2f,"requests_total":%d,"requests_per_s":%.0f,' ..
    '"status":{%s},"non_2xx":%d,"wrk_status_over_399":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"latency_ms":{"p50":%.2f,"p90":%.2f,"p99":%.2f,"p99_9":%.2f,"max":%.2f,"mean":%.2f}}\n',
    seconds, summary.requests, summary.requests / seconds,
    table.concat(statusJson, ","), non2xx, e.status,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, latency.mean / 1000))
end
