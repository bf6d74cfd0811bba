-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: id, chunk. Only while it runs. Past twice the cap, the output is cut to its last `cap`
-- bytes and out_start counts what went, so offsets stay those of the whole output.
local id = ARGV[1]
local k = P .. 'job:' .. id
local h = redis.call('HMGET', k, 'status', 'cap')
if h[1] ~= 'running' then
  return 0
end
local out = P .. 'out:' .. id
local len = redis.call('APPEND', out, ARGV[2])
local cap = tonumber(h[2]) or 8388608
if len > 2 * cap then
  redis.call('SET', out, redis.call('GETRANGE', out, len - cap, -1))
  redis.call('HINCRBY', k, 'out_start', len - cap)
end
return 1
