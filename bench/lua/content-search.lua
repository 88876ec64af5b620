-- GET /api/v1/content/versions?metadata={json} (containment, default page size), each request a random query of
-- SEARCH_FILE (one URL-encoded JSON object a line), with the token in TOKEN (content staff read every version).
local paths = {}
for line in io.lines(os.getenv("SEARCH_FILE")) do
  if line ~= "" then paths[#paths + 1] = "/api/v1/content/versions?metadata=" .. line end
end
local auth = "Bearer " .. os.getenv("TOKEN")

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)], { ["Authorization"] = auth })
end
