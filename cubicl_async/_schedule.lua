-- The throttle's algorithm over Redis keys: `_schedule.py`, operation for operation, plus
-- what only a fleet needs (owners that die, inboxes, a state that a restart loses).
--
-- KEYS[1] is the limiter's base key `{name}`; the others are derived from it and share its
-- hash tag: :held (zset ticket -> time it may leave), :done (zset ticket -> time its slot
-- frees), :ok (zset ticket -> time it could leave, accepted answers of the last period),
-- :queue (zset ticket -> order), :owner (hash ticket -> owner), :alive (zset owner ->
-- deadline), :trip (hash owner -> its fastest round trip on an open connection, as of its
-- last answer), :in:<owner> (list, the owner's inbox of re-bookings "ticket time now seq",
-- time "-" for a booking queued again).
-- ARGV: op, clock ("" = the server's TIME), owner, requests, period, headroom, liveness,
-- the epoch the caller knew ("" = none), barrier (seconds), then the op's arguments.
-- Times are seconds on the Redis server's clock; numbers travel as "%.17g" strings.

if redis.replicate_commands then redis.replicate_commands() end

local base = KEYS[1]
local K_HELD, K_DONE, K_OK = base .. ':held', base .. ':done', base .. ':ok'
local K_QUEUE, K_OWNER, K_ALIVE = base .. ':queue', base .. ':owner', base .. ':alive'
local K_TRIP = base .. ':trip'
local op, owner = ARGV[1], ARGV[3]
local requests, period = tonumber(ARGV[4]), tonumber(ARGV[5])
local headroom, liveness = tonumber(ARGV[6]), tonumber(ARGV[7])
local known, barrier = ARGV[8], tonumber(ARGV[9])

local function num(x) return string.format('%.17g', x) end

local now
if ARGV[2] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[2])
end

local s = {}
local raw = redis.call('HGETALL', base)
for i = 1, #raw, 2 do s[raw[i]] = raw[i + 1] end
if s.epoch and (tonumber(s.requests) ~= requests or tonumber(s.period) ~= period
    or tonumber(s.headroom) ~= headroom) then
  return {'conflict', s.requests, s.period, s.headroom}
end

local burst = math.min(2, requests)
local top = requests * headroom / period
local epoch = s.epoch or (owner .. '@' .. num(now))
local rate = tonumber(s.rate or top)
local calm = tonumber(s.calm or now)
local dropped = tonumber(s.dropped or now)
local tat = tonumber(s.tat or now)
local cool = tonumber(s.cool or 0)
local qlo, qhi = tonumber(s.qlo or 0), tonumber(s.qhi or 0)
local seq = tonumber(s.seq or 0) + 1 -- orders the re-bookings an owner hears of
if known ~= '' and known ~= epoch then
  -- The state the caller knew is gone (Redis restarted): what it held may still be in
  -- the server's window, so nothing leaves before the barrier the caller computed.
  cool = math.max(cool, now + barrier)
end

local moved = {}
local inbox = {}

local function window()
  return math.max(1, math.min(requests, math.floor(rate * period / headroom + 1e-9)))
end

local function slot_time()
  local n, held = window(), redis.call('ZCARD', K_HELD)
  if held >= n then return nil end
  local at = math.max(now, cool, tat - (burst - 1) / rate)
  local k = redis.call('ZCARD', K_DONE) + held - n
  if k >= 0 then
    at = math.max(at, tonumber(redis.call('ZRANGE', K_DONE, k, k, 'WITHSCORES')[2]))
  end
  return at
end

local function book(ticket, at)
  redis.call('ZADD', K_HELD, num(at), ticket)
  tat = math.max(tat, at) + 1 / rate
end

local function move(ticket, at)
  moved[#moved + 1] = ticket
  moved[#moved + 1] = at and num(at) or ''
  local who = redis.call('HGET', K_OWNER, ticket)
  if who and who ~= owner then
    local key = base .. ':in:' .. who
    redis.call('RPUSH', key, ticket .. ' ' .. (at and num(at) or '-') .. ' ' .. num(now) .. ' ' .. seq)
    inbox[key] = true
  end
end

local function forget(ticket)
  redis.call('HDEL', K_OWNER, ticket)
end

local function dispatch()
  while true do
    local head = redis.call('ZRANGE', K_QUEUE, 0, 0)[1]
    if not head then return end
    local at = slot_time()
    if not at then return end
    redis.call('ZREM', K_QUEUE, head)
    book(head, at)
    move(head, at)
  end
end

local function rebook()
  local due = redis.call('ZRANGEBYSCORE', K_HELD, '(' .. num(now), '+inf', 'WITHSCORES')
  if #due == 0 then return end
  for i = 1, #due, 2 do redis.call('ZREM', K_HELD, due[i]) end
  tat = math.min(tat, tonumber(due[2]))
  local queued = {}
  for i = 1, #due, 2 do
    local ticket, old = due[i], tonumber(due[i + 1])
    local at = slot_time()
    if not at then
      queued[#queued + 1] = ticket
      move(ticket, nil)
    else
      at = math.max(at, old)
      book(ticket, at)
      if at ~= old then move(ticket, at) end
    end
  end
  for i = #queued, 1, -1 do
    qlo = qlo - 1
    redis.call('ZADD', K_QUEUE, qlo, queued[i])
  end
end

local function set_rate(new)
  local lowered = new < rate
  rate, calm = new, now
  if lowered then
    dropped = now
    rebook()
  end
end

local function adapt(sent, limited)
  if not limited then
    if rate < top and now - calm >= period then set_rate(math.min(rate * 1.01, top)) end
  elseif sent and sent >= dropped then
    local lower, seen = rate * 0.9, false
    local measured = redis.call('ZCARD', K_OK) * headroom / period
    if now - dropped >= period and measured < rate then lower, seen = measured, true end
    set_rate(math.max(lower, rate / 2, 1 / period))
    if seen then calm = now + 3 * period end
  end
end

local function prune()
  local gone = redis.call('ZRANGEBYSCORE', K_DONE, '-inf', num(now))
  for _, ticket in ipairs(gone) do redis.call('ZREM', K_OK, ticket) end
  redis.call('ZREMRANGEBYSCORE', K_DONE, '-inf', num(now))
  redis.call('ZREMRANGEBYSCORE', K_OK, '-inf', num(now - period))
end

-- Give back a ticket: unused if not due by `at_most`, else its slot frees `period` after.
local function drop(ticket, at_most)
  forget(ticket)
  if redis.call('ZREM', K_QUEUE, ticket) == 1 then return end
  local at = redis.call('ZSCORE', K_HELD, ticket)
  if not at then return end
  redis.call('ZREM', K_HELD, ticket)
  if tonumber(at) > at_most then
    tat = math.max(tat - 1 / rate, now)
  else
    redis.call('ZADD', K_DONE, num(at_most + period), ticket)
  end
end

-- Owners whose deadline passed are dead: what they held frees `period` after it.
local function reap()
  local dead = redis.call('ZRANGEBYSCORE', K_ALIVE, '-inf', '(' .. num(now), 'WITHSCORES')
  if #dead == 0 then return end
  local deadline = {}
  for i = 1, #dead, 2 do
    deadline[dead[i]] = tonumber(dead[i + 1])
    redis.call('ZREM', K_ALIVE, dead[i])
    redis.call('HDEL', K_TRIP, dead[i])
    redis.call('DEL', base .. ':in:' .. dead[i])
  end
  local all = redis.call('HGETALL', K_OWNER)
  for i = 1, #all, 2 do
    local at_most = deadline[all[i + 1]]
    if at_most then drop(all[i], at_most) end
  end
end

reap()
prune()
-- The queue waits only while every slot is held: a dead owner's slots, freed just now, serve
-- it before the operation (a caller booking now must not join a queue that can move).
dispatch()
local alive = redis.call('ZSCORE', K_ALIVE, owner) and 1 or 0 -- 0: first call, or reaped
if op ~= 'leave' then redis.call('ZADD', K_ALIVE, num(now + liveness), owner) end

local result = ''
if op == 'reserve' then
  local ticket = ARGV[10]
  local at = redis.call('ZSCORE', K_HELD, ticket)
  if at then
    result = at
  elseif not redis.call('ZSCORE', K_QUEUE, ticket) then
    redis.call('HSET', K_OWNER, ticket, owner)
    at = nil
    if redis.call('ZCARD', K_QUEUE) == 0 then at = slot_time() end
    if at then
      book(ticket, at)
      result = num(at)
    else
      qhi = qhi + 1
      redis.call('ZADD', K_QUEUE, qhi, ticket)
    end
  end
elseif op == 'answer' then
  -- ARGV[12]: the caller's fastest round trip on an open connection, in seconds (0: none
  -- known). Any owner may take the slot next, from a host nearer the API, so the fleet's
  -- smallest counts: every live owner's, 0 for one that has not told its own yet. `now`
  -- is later than the real answer, which only holds the slot longer.
  local ticket, limited = ARGV[10], ARGV[11] == '1'
  redis.call('HSET', K_TRIP, owner, num(tonumber(ARGV[12] or '0') or 0))
  local fastest = period
  for _, who in ipairs(redis.call('ZRANGE', K_ALIVE, 0, -1)) do
    local trip = redis.call('HGET', K_TRIP, who)
    fastest = math.min(fastest, trip and tonumber(trip) or 0)
  end
  fastest = math.max(fastest, 0)
  local sent = redis.call('ZSCORE', K_HELD, ticket)
  if sent then
    sent = tonumber(sent)
    redis.call('ZREM', K_HELD, ticket)
    forget(ticket)
    redis.call('ZADD', K_DONE, num(math.max(sent + period, now + period - fastest)), ticket)
    if not limited then redis.call('ZADD', K_OK, num(sent), ticket) end
  end
  adapt(sent, limited)
  if not sent then
    result = 'gone' -- not held here (Redis restarted, or took the owner for dead)
  elseif limited then
    local first = nil
    for _, t in ipairs(redis.call('ZRANGE', K_OK, 0, -1)) do
      local free = tonumber(redis.call('ZSCORE', K_DONE, t))
      if not first or free < first then first = free end
    end
    if first then result = num(first - now) end
  end
elseif op == 'release' then
  drop(ARGV[10], now)
elseif op == 'cool' then
  cool = math.max(cool, now + tonumber(ARGV[10]))
  rebook()
elseif op == 'rejoin' then
  -- ARGV[10..]: "in flight" tickets, then "--", then (ticket, seconds until it frees) pairs.
  local i = 10
  while ARGV[i] and ARGV[i] ~= '--' do
    if not redis.call('ZSCORE', K_HELD, ARGV[i]) then
      redis.call('ZADD', K_HELD, num(now), ARGV[i])
      redis.call('HSET', K_OWNER, ARGV[i], owner)
    end
    i = i + 1
  end
  i = i + 1
  while ARGV[i] do
    redis.call('ZADD', K_DONE, num(now + tonumber(ARGV[i + 1])), ARGV[i])
    i = i + 2
  end
elseif op == 'leave' then
  local all = redis.call('HGETALL', K_OWNER)
  for i = 1, #all, 2 do
    if all[i + 1] == owner then drop(all[i], now) end
  end
  redis.call('ZREM', K_ALIVE, owner)
  redis.call('HDEL', K_TRIP, owner)
  redis.call('DEL', base .. ':in:' .. owner)
end
dispatch()

redis.call('HSET', base, 'requests', num(requests), 'period', num(period),
  'headroom', num(headroom), 'epoch', epoch, 'rate', num(rate), 'calm', num(calm),
  'dropped', num(dropped),
  'tat', num(tat), 'cool', num(cool), 'qlo', qlo, 'qhi', qhi, 'seq', seq)
local ttl = math.ceil((2 * period + 2 * liveness) * 1000)
for _, key in ipairs({base, K_HELD, K_DONE, K_OK, K_QUEUE, K_OWNER, K_ALIVE, K_TRIP}) do
  redis.call('PEXPIRE', key, ttl)
end
for key, _ in pairs(inbox) do redis.call('PEXPIRE', key, math.ceil(4 * liveness * 1000)) end
if op ~= 'leave' then redis.call('PEXPIRE', base .. ':in:' .. owner, math.ceil(4 * liveness * 1000)) end

local first = redis.call('ZRANGE', K_DONE, 0, 0, 'WITHSCORES')[2] or ''
local reply = {'ok', epoch, num(now), num(rate), num(tat), num(cool), window(),
  redis.call('ZCARD', K_HELD), redis.call('ZCARD', K_DONE), first,
  redis.call('ZCARD', K_QUEUE), seq, alive, result}
for _, x in ipairs(moved) do reply[#reply + 1] = x end
return reply
