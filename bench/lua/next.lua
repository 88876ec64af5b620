-- GET /api/v1/learners/{id}/enrollments/{enrollmentId}/next, each request a random learner of NEXT_FILE (lines
-- "<learnerId> <enrollmentId> <token>"), with that learner's own token: the learner reads their own next steps.
local lines = {}
for line in io.lines(os.getenv("NEXT_FILE")) do
  local learner, enrollment, token = line:match("(%S+) (%S+) (%S+)")
  lines[#lines + 1] = { "/api/v1/learners/" .. learner .. "/enrollments/" .. enrollment .. "/next", "Bearer " .. token }
end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

request = function()
  local l = lines[math.random(#lines)]
  return wrk.format("GET", l[1], { ["Authorization"] = l[2] })
end
