-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: id, status, reason, rc, stats JSON ('' for none), error ('' for none), dropped events. Only a running job ends here: once
-- the reaper made it lost, a late report from its cut-off worker changes nothing.
local id = ARGV[1]
local k = P .. 'job:' .. id
if redis.call('HGET', k, 'status') ~= 'running' then
  return false
end
if ARGV[4] ~= '' then
  redis.call('HSET', k, 'rc', ARGV[4])
end
if ARGV[5] ~= '' then
  redis.call('HSET', k, 'stats', ARGV[5])
end
if ARGV[6] ~= '' then
  redis.call('HSET', k, 'error', ARGV[6])
end
if tonumber(ARGV[7]) and tonumber(ARGV[7]) > 0 then
  redis.call('HSET', k, 'dropped', ARGV[7])
end
close(id, 'running', ARGV[2], ARGV[3], now_us())
return view(id)
