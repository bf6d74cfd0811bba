-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: me, lock ms. Any process may call it; the lock lets one pass in per period.
if not redis.call('SET', P .. 'reaper', ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {}
end
local now = now_us()
local ms = math.floor(now / 1000)
local lost = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', ms, 'LIMIT', 0, 100)) do
  if redis.call('HGET', P .. 'job:' .. id, 'status') == 'running' then
    local worker = redis.call('HGET', P .. 'job:' .. id, 'worker') or '?'
    redis.call('HSET', P .. 'job:' .. id, 'error',
      'its worker ' .. worker .. ' stopped renewing its lease (it died or lost the store)')
    close(id, 'running', 'failed', 'lost', now)
    lost[#lost + 1] = id
  end
  redis.call('ZREM', P .. 'leases', id)
end
for _, worker in ipairs(redis.call('ZRANGEBYSCORE', P .. 'workers', '-inf', ms, 'LIMIT', 0, 100)) do
  release(worker)
end
return lost
