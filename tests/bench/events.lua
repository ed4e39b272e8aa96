-- wrk script: POST /api/2.0/events, a new ~1 KiB event each time.  The
-- token comes from the environment (WEBHOOKS_TOKEN).
local n = 0
local token = os.getenv("WEBHOOKS_TOKEN")
local pad = string.rep("x", 900)
request = function()
  n = n + 1
  local body = string.format(
    '{"event":"order.created","data":{"order":%d,"padding":"%s"}}', n, pad)
  return wrk.format("POST", "/api/2.0/events", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end
