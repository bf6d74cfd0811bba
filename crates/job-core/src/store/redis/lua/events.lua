-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: id, then events as JSON. Numbered by their place in the list (from 1).
local id = ARGV[1]
if redis.call('EXISTS', P .. 'job:' .. id) == 0 then
  return 0
end
for i = 2, #ARGV do
  redis.call('RPUSH', P .. 'ev:' .. id, ARGV[i])
end
publish(id)
return 1
