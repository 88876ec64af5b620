-- GET /api/v1/users/{id} for a random seeded learner, as the admin whose token is in TOKEN.
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local token = os.getenv("TOKEN")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/users/" .. ids[math.random(#ids)], { ["Authorization"] = "Bearer " .. token })
end
