-- takePace-1: pace starts of something (calls on a trunk, emails to a domain) across the whole
-- cluster, evenly spaced: the key holds the earliest time of the next start (the theoretical
-- arrival time of GCRA with no burst allowance), so no window of one second ever holds more than
-- the rate, whichever nodes start them. Redis's own clock decides; the nodes' clocks never matter.
-- KEYS[1] the pace's key
-- ARGV[1] the interval between starts in milliseconds (1000 / starts per second; may be fractional)
-- Returns 0 when a start may happen now (and counts it), else the milliseconds to wait first.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
if due > now then return math.ceil(due - now) end
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.3f', now + interval), 'PX', math.ceil(interval) + 1000)
return 0
