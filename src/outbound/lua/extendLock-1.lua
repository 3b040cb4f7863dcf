-- extendLock-1: keep an expiring lock alive while its holder works.
-- KEYS[1] the lock key
-- ARGV[1] the holder token
-- ARGV[2] the new time to live in milliseconds
-- Returns 1 when extended, 0 when the lock was lost (expired, or taken by another holder).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
