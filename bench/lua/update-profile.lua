-- PATCH /api/v1/users/{id} with If-Match. One connection per thread (run with -t C -c C), each on its own learner,
-- carrying the ETag of its last response into its next request: every PATCH is a real compare-and-set that succeeds.
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local token = os.getenv("TOKEN")
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
  table.insert(threads, thread)
end

function init(args)
  id = ids[index]
  etag = nil
  n = 0
end

request = function()
  local headers = { ["Authorization"] = "Bearer " .. token }
  if etag == nil then
    return wrk.format("GET", "/api/v1/users/" .. id, headers)
  end
  n = n + 1
  headers["If-Match"] = etag
  headers["Content-Type"] = "application/json"
  return wrk.format("PATCH", "/api/v1/users/" .. id, headers, '{"displayName":"bench ' .. n .. '"}')
end

response = function(status, headers, body)
  etag = headers["ETag"]
end
