-- wrk script: GET with the bearer token from WEBHOOKS_TOKEN; the path is
-- wrk's URL path.  Counts non-2xx answers so the run can fail on them.
local token = os.getenv("WEBHOOKS_TOKEN")
wrk.headers["Authorization"] = "Bearer " .. (token or "")
wrk.headers["Accept"] = "application/json"
