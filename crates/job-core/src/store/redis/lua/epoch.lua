-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: a fresh epoch value.
-- Reads the store's epoch in one step with the jobs it guards: apart, a process starting on a
-- fresh Redis could read "no epoch", then (after another process set it and took a job) "jobs",
-- and report a loss that never happened.
-- Returns {'seen', epoch} when it is set; else sets it to ARGV[1] and returns {'set', epoch}
-- on an empty store, {'jobs', epoch} when jobs are there without one (Redis lost keys, or a
-- store written by a version before 1.2, which set none).
local k = P .. 'epoch'
local e = redis.call('GET', k)
if e then
  return {'seen', e}
end
redis.call('SET', k, ARGV[1])
if redis.call('ZCARD', P .. 'jobs') > 0 then
  return {'jobs', ARGV[1]}
end
return {'set', ARGV[1]}
