-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: ended before (µs). Removes ended jobs and their index entries, 500 a call.
local n = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'ended', '-inf', '(' .. ARGV[1], 'LIMIT', 0, 500)) do
  local k = P .. 'job:' .. id
  local name = redis.call('HGET', k, 'name')
  redis.call('DEL', k, P .. 'out:' .. id, P .. 'ev:' .. id)
  redis.call('ZREM', P .. 'jobs', id)
  for st in pairs(FINAL) do
    redis.call('ZREM', P .. 'status:' .. st, id)
  end
  if name then
    redis.call('ZREM', P .. 'named:' .. name, id)
    if redis.call('GET', P .. 'name:' .. name) == id then
      redis.call('DEL', P .. 'name:' .. name)
    end
  end
  redis.call('ZREM', P .. 'ended', id)
  n = n + 1
end
return n
