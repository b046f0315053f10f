-- wrk script: PATCH customers from the id list in BENCH_IDS_FILE (set by crm.sh), each request a real change.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS_FILE")) do
  ids[#ids + 1] = line
end

-- Each wrk thread has its own Lua state: number the threads so that no two requests send the same value (a PATCH
-- that changes nothing writes nothing and would flatter the figure).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

-- wrk.format takes the headers it is given instead of wrk.headers (which hold the -H token), so copy them.
local headers = {}
for name, value in pairs(wrk.headers) do
  headers[name] = value
end
headers["Content-Type"] = "application/json"

local counter = 0
request = function()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  return wrk.format("PATCH", "/api/v1/customers/" .. id, headers, '{"notes":"bench ' .. thread_number .. '-' .. counter .. '"}')
end
