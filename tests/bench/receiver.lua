-- The benchmark receiver's answer: 204, once the whole request body has
-- been read (so that the connection stays open for the next request).
-- collect is false until then; returning 0 lets lighttpd run this script
-- again when the body is complete.
if not lighty.r.req_body.collect then
  return 0
end
return 204
