-- POST …/attempts/{id}/submit, each request a different prepared attempt of a seeded learner, with that learner's
-- token and a fresh Idempotency-Key. Lines of ATTEMPTS_FILE: "<learnerId> <attemptId> <token>"; each thread takes
-- its own slice so no attempt is submitted twice.
local lines = {}
for line in io.lines(os.getenv("ATTEMPTS_FILE")) do lines[#lines + 1] = line end
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("slice", counter)
  thread:set("slices", tonumber(os.getenv("THREADS")))
end

function init(args)
  position = slice
end

request = function()
  local line = lines[position]
  position = position + slices
  if line == nil then
    -- Out of prepared attempts: the run is too long for the data; fail loudly rather than resubmit.
    return wrk.format("GET", "/out-of-prepared-attempts")
  end
  local learner, attempt, token = line:match("(%S+) (%S+) (%S+)")
  return wrk.format("POST", "/api/v1/learners/" .. learner .. "/attempts/" .. attempt .. "/submit",
    { ["Authorization"] = "Bearer " .. token, ["Idempotency-Key"] = attempt, ["Content-Length"] = "0" }, "")
end
