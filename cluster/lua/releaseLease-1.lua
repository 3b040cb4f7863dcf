--[[
  Gives a lease up so a peer can claim the actor at once (drain), if the caller still holds it.

  KEYS[1] actor lease
  ARGV[1] expected lease value `<owner>|<epoch>`

  Returns 1, or -2 LEASE_LOST (it was no longer ours: nothing to release).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -2
end
redis.call('DEL', KEYS[1])
return 1
