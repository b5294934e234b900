import { LuaScript } from './lua-script';

/*
 * Every presence transition is decided inside one of these scripts, so that each runs
 * atomically: of several instances observing the same transition, exactly one gets it back.
 * Times come from the Redis clock (TIME), so instances with skewed clocks agree.
 * Key layout (P = `<keyPrefix>presence:`): see redis-presence.ts.
 */

const helpers = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function total(key)
  local sum = 0
  local values = redis.call('HVALS', key)
  for i = 1, #values do sum = sum + tonumber(values[i]) end
  return sum
end
local function ms(value)
  return string.format('%.0f', tonumber(value))
end
`;

/**
 * Writes this instance's connection count of a user (absolute, so retries are idempotent).
 * KEYS: user hash, online marker, grace zset, last-seen hash, instance users set.
 * ARGV: instanceId, userId, count, graceMs.
 * Returns {kind, delayMs}: 0 nothing, 1 came ONLINE, 2 grace running (OFFLINE due in delayMs).
 */
export const setCountScript = new LuaScript(`${helpers}
local now = now_ms()
local count = tonumber(ARGV[3])
if count > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], count)
  redis.call('SADD', KEYS[5], ARGV[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
  redis.call('HDEL', KEYS[4], ARGV[2])
  if redis.call('SET', KEYS[2], ms(now), 'NX') then return {1, 0} end
  return {0, 0}
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[5], ARGV[2])
if total(KEYS[1]) > 0 or redis.call('EXISTS', KEYS[2]) == 0 then return {0, 0} end
local deadline = redis.call('ZSCORE', KEYS[3], ARGV[2])
if deadline then return {2, math.max(0, tonumber(deadline) - now)} end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[2])
redis.call('HSET', KEYS[4], ARGV[2], ms(now))
return {2, tonumber(ARGV[4])}
`);

/**
 * Ends a user's grace period if it is due.
 * KEYS: user hash, online marker, grace zset, last-seen hash. ARGV: userId.
 * Returns {kind, ms}: 0 nothing (reconnected or already done), 1 went OFFLINE (ms = lastSeenAt),
 * 2 not due yet (ms = remaining).
 */
export const expireGraceScript = new LuaScript(`${helpers}
local deadline = redis.call('ZSCORE', KEYS[3], ARGV[1])
if not deadline then return {0, 0} end
local now = now_ms()
if tonumber(deadline) > now then return {2, tonumber(deadline) - now} end
redis.call('ZREM', KEYS[3], ARGV[1])
local lastSeen = redis.call('HGET', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if total(KEYS[1]) > 0 then return {0, 0} end
if redis.call('DEL', KEYS[2]) == 1 then return {1, tonumber(lastSeen) or now} end
return {0, 0}
`);

/**
 * Proves this instance alive. KEYS: heartbeat key, instances zset. ARGV: instanceId, ttlMs.
 * Returns 1 when the instance was registered already, 0 when it was not (first beat, or a
 * sweeper took it for dead: the caller then rewrites its connection counts).
 */
export const heartbeatScript = new LuaScript(`${helpers}
local now = now_ms()
local known = redis.call('ZSCORE', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], ms(now), 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
if known then return 1 end
return 0
`);

/**
 * Drops the counts of instances whose heartbeat expired and ends overdue grace periods.
 * ARGV: key prefix P, max grace periods to end in one run.
 * Returns a flat list {userId, lastSeenMs, ...} of users that went OFFLINE; a dead instance's
 * users get their instance's last heartbeat as lastSeenAt.
 */
export const sweepScript = new LuaScript(`${helpers}
local p = ARGV[1]
local now = now_ms()
local out = {}
local function offline(userId, lastSeen)
  if total(p .. 'user:' .. userId) > 0 then return end
  if redis.call('DEL', p .. 'online:' .. userId) == 1 then
    out[#out + 1] = userId
    out[#out + 1] = ms(lastSeen)
  end
end
local instances = redis.call('ZRANGE', p .. 'instances', 0, -1, 'WITHSCORES')
for i = 1, #instances, 2 do
  local id = instances[i]
  if redis.call('EXISTS', p .. 'instance:' .. id) == 0 then
    local usersKey = p .. 'instance:' .. id .. ':users'
    local users = redis.call('SMEMBERS', usersKey)
    for j = 1, #users do
      redis.call('HDEL', p .. 'user:' .. users[j], id)
      if not redis.call('ZSCORE', p .. 'grace', users[j]) then offline(users[j], instances[i + 1]) end
    end
    redis.call('DEL', usersKey)
    redis.call('ZREM', p .. 'instances', id)
  end
end
local due = redis.call('ZRANGEBYSCORE', p .. 'grace', '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #due do
  local userId = due[i]
  redis.call('ZREM', p .. 'grace', userId)
  local lastSeen = redis.call('HGET', p .. 'last-seen', userId)
  redis.call('HDEL', p .. 'last-seen', userId)
  offline(userId, lastSeen or now)
end
return out
`);

/**
 * A clean shutdown: the instance's connections count as closed now, so their users enter the
 * grace period (another instance's sweeper ends it), and the instance unregisters.
 * ARGV: key prefix P, instanceId, graceMs.
 */
export const releaseInstanceScript = new LuaScript(`${helpers}
local p = ARGV[1]
local id = ARGV[2]
local now = now_ms()
local usersKey = p .. 'instance:' .. id .. ':users'
local users = redis.call('SMEMBERS', usersKey)
for j = 1, #users do
  local userId = users[j]
  redis.call('HDEL', p .. 'user:' .. userId, id)
  if total(p .. 'user:' .. userId) == 0 and redis.call('EXISTS', p .. 'online:' .. userId) == 1
      and not redis.call('ZSCORE', p .. 'grace', userId) then
    redis.call('ZADD', p .. 'grace', now + tonumber(ARGV[3]), userId)
    redis.call('HSET', p .. 'last-seen', userId, ms(now))
  end
end
redis.call('DEL', usersKey, p .. 'instance:' .. id)
redis.call('ZREM', p .. 'instances', id)
return #users
`);
