-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: id. Pending: canceled here. Running: flagged; its worker learns it at its next heartbeat.
local id = ARGV[1]
local k = P .. 'job:' .. id
local st = redis.call('HGET', k, 'status')
if not st then
  return {'not_found'}
end
if st == 'pending' then
  redis.call('LREM', P .. 'q', 1, id)
  redis.call('HSET', k, 'error', 'canceled while pending')
  close(id, 'pending', 'canceled', '', now_us())
  return {'canceled', view(id)}
end
if st == 'running' then
  redis.call('HSET', k, 'cancel', 1)
  publish(id)
  return {'requested', view(id)}
end
return {'ended', view(id)}
