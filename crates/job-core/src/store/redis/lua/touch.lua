-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: worker, lease ms. A worker is in the registry before it takes a job, so the reaper
-- knows its list if it dies holding one.
redis.call('ZADD', P .. 'workers', math.floor(now_us() / 1000) + tonumber(ARGV[2]), ARGV[1])
return 1
