-- wrk script for bench/page-latency.sh: GET one of the paths listed in the file named by
-- PAGE_PATHS (one per line, picked at random each request), signed in with the session token
-- in CHECKPOINT_TOKEN — as a bearer token for the JSON API (PAGE_AUTH=bearer) or as the
-- `checkpoint_session` cookie the HTML pages read (PAGE_AUTH=cookie).

local token = os.getenv("CHECKPOINT_TOKEN") or ""
local auth = os.getenv("PAGE_AUTH") or "bearer"
local list = os.getenv("PAGE_PATHS") or ""

local next_thread = 1
function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

local paths = {}
function init(args)
  math.randomseed(thread_number * 7919)
  for line in io.lines(list) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  if auth == "cookie" then
    wrk.headers["Cookie"] = "checkpoint_session=" .. token
    wrk.headers["Accept"] = "text/html"
  else
    wrk.headers["Authorization"] = "Bearer " .. token
    wrk.headers["Accept"] = "application/json"
  end
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
