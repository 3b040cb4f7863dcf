--[[
  Records a node's heartbeat with the Redis server's clock, so nodes with skewed clocks still agree
  on who went silent.

  KEYS[1] members sorted set (owner id -> last heartbeat, ms)
  ARGV[1] owner id

  Returns the server time in ms.
]]
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], nowMs, ARGV[1])
return nowMs
