-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: lease ms, n, the process's n worker names, then the ids it runs.
-- Returns {ids to cancel, ids no longer theirs}.
local lease, n = tonumber(ARGV[1]), tonumber(ARGV[2])
local ms = math.floor(now_us() / 1000)
local mine = {}
for i = 3, 2 + n do
  redis.call('ZADD', P .. 'workers', ms + lease, ARGV[i])
  mine[ARGV[i]] = true
end
local cancel, gone = {}, {}
for i = 3 + n, #ARGV do
  local id = ARGV[i]
  local h = redis.call('HMGET', P .. 'job:' .. id, 'status', 'worker', 'cancel')
  if h[1] == 'running' and h[2] and mine[h[2]] then
    redis.call('ZADD', P .. 'leases', ms + lease, id)
    if h[3] == '1' then
      cancel[#cancel + 1] = id
    end
  else
    gone[#gone + 1] = id
  end
end
return {cancel, gone}
