package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts of Store: every write that reads before it writes
// runs as one script, so concurrent nodes cannot interleave inside it.
//
// Every script gets KEYS[1] (the user hash) and KEYS[2] (the channel
// hash) and ARGV[1..6] (redisArgs): the caller's clock in Unix ms, the
// key lifetime in ms (0: none), and the absolute expiry times, in Unix
// ms, that a registered, live or deleted channel or a disconnected user
// written now gets (0: never). Script arguments follow from ARGV[7].
//
// Versions travel as 20-digit zero-padded decimals: Lua numbers are
// doubles, exact only up to 2^53, so vless compares the two 10-digit
// halves (each below 2^34). ConnectedAt stays a string for the same
// reason; it is only ever compared for equality.
const redisLuaPrelude = `
local now = tonumber(ARGV[1])
local keep = tonumber(ARGV[2])
local expfor = {r = ARGV[3], l = ARGV[4], d = ARGV[5]}
local zero = '00000000000000000000'

local function dead(e)
  local n = tonumber(e)
  return n ~= 0 and n <= now
end

-- user reports whether the user record exists and has not expired; an
-- expired user is deleted with its channels.
local function user()
  local u = redis.call('HMGET', KEYS[1], 'node', 'exp')
  if not u[2] then
    return false
  end
  if u[1] ~= '' or not dead(u[2]) then
    return true
  end
  redis.call('DEL', KEYS[1], KEYS[2])
  return false
end

local function parse(rec)
  local s, v, a, e = string.match(rec, '^(%a):(%d+):(%d+):(%d+)$')
  if not s then
    return nil
  end
  return {s = s, v = v, a = a, e = e}
end

-- get returns the unexpired record of chid, deleting an expired one.
local function get(chid)
  local rec = redis.call('HGET', KEYS[2], chid)
  if not rec then
    return nil
  end
  local c = parse(rec)
  if not c or dead(c.e) then
    redis.call('HDEL', KEYS[2], chid)
    return nil
  end
  return c
end

local function put(chid, c)
  redis.call('HSET', KEYS[2], chid, c.s .. ':' .. c.v .. ':' .. c.a .. ':' .. c.e)
end

local function vless(a, b)
  local ah, bh = tonumber(string.sub(a, 1, 10)), tonumber(string.sub(b, 1, 10))
  if ah ~= bh then
    return ah < bh
  end
  return tonumber(string.sub(a, 11)) < tonumber(string.sub(b, 11))
end

-- touch restarts the lifetime of both keys (a garbage collector only: the
-- per-record expiry times above decide what exists).
local function touch()
  if keep > 0 then
    redis.call('PEXPIRE', KEYS[1], keep)
    redis.call('PEXPIRE', KEYS[2], keep)
  else
    redis.call('PERSIST', KEYS[1])
    redis.call('PERSIST', KEYS[2])
  end
end
`

func newRedisScript(body string) *redis.Script { return redis.NewScript(redisLuaPrelude + body) }

// Script results other than data.
const (
	redisUnknown = -1 // no such user (or channel, for update)
	redisNoop    = 0  // update: the version was not newer
	redisDone    = 1
)

// redisScripts is built once per store; a Script is immutable.
type redisScripts struct {
	connect, disconnect, setWakeup, register, unregister, update, ack, ackPending *redis.Script
}

func newRedisScripts() redisScripts {
	return redisScripts{
		// ARGV[7] node, ARGV[8] connectedAt. Returns the previous
		// {node, connectedAt}; restarts the clock of every channel.
		connect: newRedisScript(`
local prev = {'', '0'}
if user() then
  local u = redis.call('HMGET', KEYS[1], 'node', 'at')
  prev = {u[1] or '', u[2] or '0'}
  local all = redis.call('HGETALL', KEYS[2])
  for i = 1, #all, 2 do
    local c = parse(all[i + 1])
    if not c or dead(c.e) then
      redis.call('HDEL', KEYS[2], all[i])
    else
      c.e = expfor[c.s]
      put(all[i], c)
    end
  end
else
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[1], 'node', ARGV[7], 'at', ARGV[8], 'exp', ARGV[6])
touch()
return prev
`),
		// ARGV[7] node, ARGV[8] connectedAt: cleared only if still the route.
		disconnect: newRedisScript(`
if user() then
  local u = redis.call('HMGET', KEYS[1], 'node', 'at')
  if u[1] == ARGV[7] and u[2] == ARGV[8] then
    redis.call('HSET', KEYS[1], 'node', '', 'at', '0', 'exp', ARGV[6])
    touch()
  end
end
return 1
`),
		// ARGV[7] the wake-up JSON, '' to clear.
		setWakeup: newRedisScript(`
if not user() then
  return -1
end
if ARGV[7] == '' then
  redis.call('HDEL', KEYS[1], 'wk')
else
  redis.call('HSET', KEYS[1], 'wk', ARGV[7])
end
return 1
`),
		// ARGV[7] chid. A registered or live channel keeps its record
		// (with a fresh expiry); none or deleted starts over.
		register: newRedisScript(`
if not user() then
  return -1
end
local c = get(ARGV[7])
if not c or c.s == 'd' then
  c = {s = 'r', v = zero, a = zero}
end
c.e = expfor[c.s]
put(ARGV[7], c)
touch()
return 1
`),
		// ARGV[7] chid.
		unregister: newRedisScript(`
if user() then
  local c = get(ARGV[7])
  if c and c.s ~= 'd' then
    put(ARGV[7], {s = 'd', v = zero, a = zero, e = expfor.d})
    touch()
  end
end
return 1
`),
		// ARGV[7] chid, ARGV[8] version: stored only if newer.
		update: newRedisScript(`
if not user() then
  return -1
end
local c = get(ARGV[7])
if not c or c.s == 'd' then
  return -1
end
if not vless(c.v, ARGV[8]) then
  return 0
end
c.s, c.v, c.e = 'l', ARGV[8], expfor.l
put(ARGV[7], c)
touch()
return 1
`),
		// ARGV[7] chid, ARGV[8] version: clears the pending update only if
		// version >= the stored one.
		ack: newRedisScript(`
if user() then
  local c = get(ARGV[7])
  if c and c.s == 'l' and not vless(ARGV[8], c.v) and c.a ~= c.v then
    c.a = c.v
    put(ARGV[7], c)
  end
end
return 1
`),
		// ARGV[7], ARGV[8], ... pairs of chid and version, acked as by
		// ack; then returns the pending updates, chid and version
		// alternating (HGETALL order). One command per ack message,
		// where a pipeline of the ack scripts, HMGET and HGETALL costs
		// Redis and the client 2+N commands.
		ackPending: newRedisScript(`
if not user() then
  return {}
end
for i = 7, #ARGV, 2 do
  local c = get(ARGV[i])
  if c and c.s == 'l' and not vless(ARGV[i + 1], c.v) and c.a ~= c.v then
    c.a = c.v
    put(ARGV[i], c)
  end
end
local out = {}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local c = parse(all[i + 1])
  if c and not dead(c.e) and c.s == 'l' and vless(c.a, c.v) then
    out[#out + 1] = all[i]
    out[#out + 1] = c.v
  end
end
return out
`),
	}
}
