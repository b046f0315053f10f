-- wrk script: PATCH customers from the id list in BENCH_IDS_FILE (set by crm.sh), each request a real change.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS_FILE")) do
  ids[#ids + 1] = line
end

local counter = 0
request = function()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  return wrk.format("PATCH", "/api/v1/customers/" .. id, { ["Content-Type"] = "application/json" },
    '{"notes":"bench ' .. counter .. ' ' .. math.random(1000000) .. '"}')
end
