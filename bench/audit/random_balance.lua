-- wrk script of bench/audit/audit_bench.sh: GET studentBalance of a random
-- citizen, now or at an instant (?asOf), then one line of figures.
-- wrk ... -s random_balance.lua URL -- SSINS_FILE live
-- wrk ... -s random_balance.lua URL -- SSINS_FILE fixed INSTANT...        (one of these per request)
-- wrk ... -s random_balance.lua URL -- SSINS_FILE random FIRST_S LAST_S   (a random second between, epoch)
-- A line of SSINS_FILE may be "SSIN TOKEN": that request carries the citizen's own token.
-- done() prints: RESULT requests seconds p50_ms p90_ms p99_ms max_ms non_2xx socket_errors

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local ssins, tokens, instants = {}, {}, {}
local mode, first, last

function init(args)
  for line in io.lines(args[1]) do
    local ssin, token = line:match("^(%d+) (%S+)$")
    if ssin and #ssin == 11 then
      ssins[#ssins + 1], tokens[#ssins + 1] = ssin, token
    elseif #line == 11 then
      ssins[#ssins + 1] = line
    end
  end
  assert(#ssins > 0, "no SSIN in " .. args[1])
  mode = args[2]
  if mode == "fixed" then
    for i = 3, #args do instants[#instants + 1] = args[i] end
    assert(#instants > 0, "fixed: no instant")
  elseif mode == "random" then
    first, last = tonumber(args[3]), tonumber(args[4])
    assert(first and last and first <= last, "random: FIRST_S LAST_S")
  else
    assert(mode == "live", "mode: live, fixed or random")
  end
  math.randomseed(os.time() * 64 + (id or 0))
end

function request()
  local i = math.random(#ssins)
  local path = "/v1/citizens/" .. ssins[i] .. "/studentBalance?year=2025"
  if mode == "fixed" then
    path = path .. "&asOf=" .. instants[math.random(#instants)]
  elseif mode == "random" then
    path = path .. "&asOf=" .. os.date("!%Y-%m-%dT%H:%M:%SZ", math.random(first, last))
  end
  if tokens[i] then return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[i] }) end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %.3f %.3f %.3f %.3f %.3f %d %d\n", summary.requests, summary.duration / 1e6,
                         latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
                         latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
