--[[
  Persists one macrostep of an actor, fenced: only the lease holder with the current epoch may write,
  and only the next sequence number. Appends the step to the actor's stream (the audit trail) and
  extends the lease, since a commit proves the owner is alive.

  KEYS[1] actor state hash     KEYS[2] actor lease     KEYS[3] actor log stream
  ARGV[1] owner id   ARGV[2] epoch   ARGV[3] new seq (stored seq + 1)   ARGV[4] snapshot JSON
  ARGV[5] pending effects JSON   ARGV[6] status   ARGV[7] log entry JSON   ARGV[8] lease TTL (ms)
  ARGV[9] log max length

  Returns the new seq, or -2 LEASE_LOST (lease expired or held by another owner/epoch),
  -3 STALE_EPOCH (a newer claim was issued), -4 NOT_FOUND, -5 SEQ_CONFLICT.
]]
if redis.call('GET', KEYS[2]) ~= ARGV[1] .. '|' .. ARGV[2] then
  return -2
end
local state = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if not state[2] then
  return -4
end
if state[1] ~= ARGV[2] then
  return -3
end
if tonumber(state[2]) + 1 ~= tonumber(ARGV[3]) then
  return -5
end
redis.call('HSET', KEYS[1], 'snapshot', ARGV[4], 'seq', ARGV[3], 'pending', ARGV[5], 'status', ARGV[6])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[9], '*', 'seq', ARGV[3], 'epoch', ARGV[2], 'event', ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
return tonumber(ARGV[3])
