-- GET /api/v1/learners/{id}/mastery, each request a random learner of MASTERY_FILE (lines "<learnerId> <token>"), with
-- that learner's own token: the learner reads their own mastery.
local lines = {}
for line in io.lines(os.getenv("MASTERY_FILE")) do
  local learner, token = line:match("(%S+) (%S+)")
  lines[#lines + 1] = { "/api/v1/learners/" .. learner .. "/mastery", "Bearer " .. token }
end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

request = function()
  local l = lines[math.random(#lines)]
  return wrk.format("GET", l[1], { ["Authorization"] = l[2] })
end
