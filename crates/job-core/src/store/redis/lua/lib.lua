-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- Shared by every script (prepended). Every key starts with the hash tag {ajs}: one Cluster slot.
local P = '{ajs}:'
local FINAL = {successful = true, failed = true, canceled = true}

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function int(x)
  return string.format('%d', x)
end

local function publish(id)
  redis.call('PUBLISH', P .. 'changed', id)
end

-- The job hash, and its output when it has ended (the kept tail is its stdout).
local function view(id)
  local h = redis.call('HGETALL', P .. 'job:' .. id)
  local st = redis.call('HGET', P .. 'job:' .. id, 'status')
  if st and FINAL[st] then
    return {h, redis.call('GET', P .. 'out:' .. id) or ''}
  end
  return {h}
end

local function move_status(id, seq, from, to)
  redis.call('ZREM', P .. 'status:' .. from, id)
  redis.call('ZADD', P .. 'status:' .. to, seq, id)
end

-- What is kept of an ended job's output: its last `cap` bytes.
local function seal(id)
  local k = P .. 'job:' .. id
  local out = P .. 'out:' .. id
  local cap = tonumber(redis.call('HGET', k, 'cap')) or 8388608
  local len = redis.call('STRLEN', out)
  if len > cap then
    redis.call('SET', out, redis.call('GETRANGE', out, len - cap, -1))
    redis.call('HINCRBY', k, 'out_start', len - cap)
  end
end

-- A job reaches a final state: indexes, lease, its worker's list, the TTL, the news.
local function close(id, from, to, reason, now)
  local k = P .. 'job:' .. id
  seal(id)
  local h = redis.call('HMGET', k, 'seq', 'worker', 'name', 'ttl')
  redis.call('HSET', k, 'status', to, 'finished_at', int(now))
  if reason ~= '' then
    redis.call('HSET', k, 'reason', reason)
  end
  move_status(id, h[1], from, to)
  redis.call('ZREM', P .. 'leases', id)
  if h[2] then
    redis.call('LREM', P .. 'w:' .. h[2], 1, id)
  end
  redis.call('ZADD', P .. 'ended', int(now), id)
  -- The purge of an API process removes it at ttl; the key's own expiry, a little later, is
  -- the net for when no API process runs (the purge needs the hash to clean the indexes).
  local ttl = (tonumber(h[4]) or 86400) + 300
  for _, key in ipairs({k, P .. 'out:' .. id, P .. 'ev:' .. id}) do
    redis.call('EXPIRE', key, ttl)
  end
  if h[3] and redis.call('GET', P .. 'name:' .. h[3]) == id then
    redis.call('EXPIRE', P .. 'name:' .. h[3], ttl)
  end
  publish(id)
end

-- What a worker took but never started goes back to the head of the queue; its list goes.
local function release(worker)
  local list = P .. 'w:' .. worker
  for _, id in ipairs(redis.call('LRANGE', list, 0, -1)) do
    if redis.call('HGET', P .. 'job:' .. id, 'status') == 'pending' then
      redis.call('RPUSH', P .. 'q', id)
    end
  end
  redis.call('DEL', list)
  redis.call('ZREM', P .. 'workers', worker)
end
