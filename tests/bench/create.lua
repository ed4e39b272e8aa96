-- wrk script: POST /api/2.0/webhooks with a new body each time.
-- The token comes from the environment (WEBHOOKS_TOKEN).
local n = 0
local token = os.getenv("WEBHOOKS_TOKEN")
request = function()
  n = n + 1
  local body = string.format(
    '{"name":"bench %d","url":"https://example.com/hooks/%d",' ..
    '"headers":{"Accept":"application/json"}}', n, n)
  return wrk.format("POST", "/api/2.0/webhooks", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end
