-- extendDestination-1: keep a destination lock alive while its call lasts.
-- KEYS[1] the destination lock key
-- ARGV[1] the holder token (<job>:<epoch>)
-- ARGV[2] the new time to live in milliseconds
-- Returns 1 when extended, 0 when the lock was lost (expired, or taken by another holder).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
