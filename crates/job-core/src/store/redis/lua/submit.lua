-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: id, name ('' for none), fingerprint, spec JSON, restart, ttl s, stdout cap.
-- The name's check and the enqueue are one step: concurrent POSTs of a name give one job.
local id, name, fp, spec, restart, ttl, cap = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
-- The id is made by the caller: a second send of the same call (its reply was lost with the
-- connection) finds its own job and creates nothing.
if redis.call('EXISTS', P .. 'job:' .. id) == 1 then
  return {'created', view(id)}
end
if name ~= '' then
  local holder = redis.call('GET', P .. 'name:' .. name)
  if holder then
    local h = redis.call('HMGET', P .. 'job:' .. holder, 'status', 'fp')
    if h[1] then
      if not FINAL[h[1]] then
        if h[2] == fp then
          return {'attached', view(holder)}
        end
        return {'conflict', view(holder)}
      end
      local again = restart == 'always' or (restart == 'on_failure' and h[1] ~= 'successful')
      if not again then
        return {'attached', view(holder)}
      end
    end
  end
end
local seq = redis.call('INCR', P .. 'seq')
local k = P .. 'job:' .. id
redis.call('HSET', k, 'id', id, 'seq', seq, 'fp', fp, 'spec', spec, 'status', 'pending',
  'created_at', int(now_us()), 'attempt', 0, 'cancel', 0, 'out_start', 0, 'ttl', ttl, 'cap', cap)
if name ~= '' then
  redis.call('HSET', k, 'name', name)
  redis.call('SET', P .. 'name:' .. name, id)
  redis.call('ZADD', P .. 'named:' .. name, seq, id)
end
redis.call('ZADD', P .. 'jobs', seq, id)
redis.call('ZADD', P .. 'status:pending', seq, id)
redis.call('LPUSH', P .. 'q', id)
publish(id)
return {'created', view(id)}
