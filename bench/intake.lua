-- wrk script for bench/intake.py: POSTs pre-signed generic deliveries, every one distinct.
--
-- BENCH_REQUESTS names a file prefix; thread N reads "<prefix>.N", one request per line:
-- "<signature>\t<body>". BENCH_TIMESTAMP is the X-Voice-Router-Timestamp they were signed
-- with, BENCH_PATH the URL path. Each thread loads its file on its first request (so the
-- load costs every run the same, inside the measured time, instead of giving the first
-- thread a head start) and wraps around, counting wraps, if it runs out.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  requests = nil
  index = 0
  wrapped = 0
end

local function load()
  local path = os.getenv("BENCH_REQUESTS") .. "." .. id
  local timestamp = os.getenv("BENCH_TIMESTAMP")
  local target = os.getenv("BENCH_PATH")
  requests = {}
  for line in io.lines(path) do
    local tab = line:find("\t", 1, true)
    requests[#requests + 1] = wrk.format("POST", target, {
      ["Content-Type"] = "application/json",
      ["X-Voice-Router-Timestamp"] = timestamp,
      ["X-Voice-Router-Signature"] = line:sub(1, tab - 1),
    }, line:sub(tab + 1))
  end
end

function request()
  if requests == nil then
    load()
  end
  index = index + 1
  if index > #requests then
    index = 1
    wrapped = wrapped + 1
  end
  return requests[index]
end

function done(summary, latency, requests)
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + (thread:get("wrapped") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\": %d, \"duration_us\": %d, \"connect_errors\": %d, " ..
    "\"read_errors\": %d, \"write_errors\": %d, \"status_errors\": %d, " ..
    "\"timeouts\": %d, \"p50_us\": %d, \"p90_us\": %d, \"p99_us\": %d, \"max_us\": %d, " ..
    "\"mean_us\": %.1f, \"wraps\": %d}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, wraps))
end
