--[[
  Claims an actor for an owner and issues a fresh fencing epoch; creates the actor when asked and absent.

  KEYS[1] actor state hash     KEYS[2] actor lease     KEYS[3] actor log stream     KEYS[4] epoch high-water
  ARGV[1] owner id             ARGV[2] lease TTL (ms)
  ARGV[3] owner whose lease may be broken because it is known dead ('' = none)
  ARGV[4] machine  ARGV[5] version  ARGV[6] initial snapshot JSON ('' = claim only, never create)
  ARGV[7] initial pending effects JSON  ARGV[8] initial status  ARGV[9] log entry JSON  ARGV[10] log max length

  Epoch = max(high-water + 1, stored epoch + 1, Redis TIME in ms): it never repeats, even after a
  failover rolled the high-water mark back, unless the promoted server's clock runs behind the
  moment the lost epoch was issued (see docs/cluster.md).

  Returns {epoch, created (0|1), seq, machine, version, snapshot, pending, status}
  or -1 LEASE_HELD (another live owner holds the lease), -4 NOT_FOUND (no such actor, no snapshot given).
]]
local lease = redis.call('GET', KEYS[2])
if lease then
  local holder = string.match(lease, '^(.*)|')
  if holder ~= ARGV[1] and holder ~= ARGV[3] then
    return -1
  end
end
local exists = redis.call('EXISTS', KEYS[1]) == 1
if not exists and ARGV[6] == '' then
  return -4
end
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local epoch = math.max((tonumber(redis.call('GET', KEYS[4])) or 0) + 1,
  (tonumber(redis.call('HGET', KEYS[1], 'epoch')) or 0) + 1, nowMs)
redis.call('SET', KEYS[4], string.format('%d', epoch))
redis.call('SET', KEYS[2], ARGV[1] .. '|' .. string.format('%d', epoch), 'PX', ARGV[2])
local created = 0
if not exists then
  redis.call('HSET', KEYS[1], 'machine', ARGV[4], 'version', ARGV[5], 'snapshot', ARGV[6], 'seq', 1,
    'pending', ARGV[7], 'status', ARGV[8])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[10], '*', 'seq', 1, 'epoch', string.format('%d', epoch),
    'event', ARGV[9])
  created = 1
end
redis.call('HSET', KEYS[1], 'epoch', string.format('%d', epoch), 'owner', ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'seq', 'machine', 'version', 'snapshot', 'pending', 'status')
return {epoch, created, tonumber(state[1]), state[2], state[3], state[4], state[5], state[6]}
