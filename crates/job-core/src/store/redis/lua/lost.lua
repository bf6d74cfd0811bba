-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: id, name ('' for none), fingerprint, spec JSON, created_at µs, started_at µs, worker,
-- attempt, ttl s, stdout cap, note.
-- Redis lost the record of a job this process was running (it came back empty): the job is
-- written again as failed/lost, so its id answers and its name is held, never run again by
-- itself. Nothing happens when the record is there.
local id, name = ARGV[1], ARGV[2]
local k = P .. 'job:' .. id
if redis.call('EXISTS', k) == 1 then
  return 0
end
local seq = redis.call('INCR', P .. 'seq')
local now = now_us()
redis.call('HSET', k, 'id', id, 'seq', seq, 'fp', ARGV[3], 'spec', ARGV[4], 'status', 'running',
  'created_at', ARGV[5], 'started_at', ARGV[6], 'worker', ARGV[7], 'attempt', ARGV[8],
  'cancel', 0, 'out_start', 0, 'ttl', ARGV[9], 'cap', ARGV[10])
redis.call('SET', P .. 'out:' .. id, ARGV[11])
redis.call('ZADD', P .. 'jobs', seq, id)
redis.call('ZADD', P .. 'status:running', seq, id)
if name ~= '' then
  redis.call('HSET', k, 'name', name)
  redis.call('SET', P .. 'name:' .. name, id, 'NX')
  redis.call('ZADD', P .. 'named:' .. name, seq, id)
end
redis.call('HSET', k, 'error',
  'Redis lost its record while it ran (it came back empty or dropped keys); its run was stopped')
close(id, 'running', 'failed', 'lost', now)
return 1
