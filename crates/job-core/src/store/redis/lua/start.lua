-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: id, worker, lease ms. Runs right after BLMOVE put the id in the worker's list: only a
-- job still pending starts (a cancel, or another worker after a put-back, may have come first).
local id, worker, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])
local k = P .. 'job:' .. id
local h = redis.call('HMGET', k, 'status', 'seq')
if h[1] ~= 'pending' then
  redis.call('LREM', P .. 'w:' .. worker, 1, id)
  return false
end
local now = now_us()
local ms = math.floor(now / 1000)
redis.call('HSET', k, 'status', 'running', 'started_at', int(now), 'worker', worker)
redis.call('HINCRBY', k, 'attempt', 1)
move_status(id, h[2], 'pending', 'running')
redis.call('ZADD', P .. 'leases', ms + lease, id)
redis.call('ZADD', P .. 'workers', ms + lease, worker)
publish(id)
return view(id)
