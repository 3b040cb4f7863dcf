-- releaseLock-1: give up an expiring lock only if we still hold it.
-- KEYS[1] the lock key
-- ARGV[1] the holder token
-- Returns 1 when released, 0 when another holder (or nobody) has it.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
