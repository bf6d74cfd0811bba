-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: id, offset, max. Returns false (no job) or {start, bytes}.
local id, offset, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out_start = redis.call('HGET', P .. 'job:' .. id, 'out_start')
if not out_start then
  return false
end
out_start = tonumber(out_start)
local out = P .. 'out:' .. id
local total = out_start + redis.call('STRLEN', out)
local start = math.max(math.min(offset, total), out_start)
local data = ''
if max > 0 and start < total then
  data = redis.call('GETRANGE', out, start - out_start, start - out_start + max - 1)
end
return {int(start), data}
