--[[
  Extends a lease the caller still holds.

  KEYS[1] actor lease
  ARGV[1] expected lease value `<owner>|<epoch>`   ARGV[2] lease TTL (ms)

  Returns 1, or -2 LEASE_LOST (expired, or claimed by another owner or epoch).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -2
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
