-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: id, pid, start time. Never recreates a purged job.
local k = P .. 'job:' .. ARGV[1]
if redis.call('EXISTS', k) == 1 then
  redis.call('HSET', k, 'pid', ARGV[2], 'pid_start', ARGV[3])
end
return 1
