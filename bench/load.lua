-- wrk script for the quart_pizza benchmark: wrk -s bench/load.lua URL -- SESSIONS SCENARIO CUTOFF
--   SESSIONS  file of "cookie<TAB>csrf token<TAB>order id<TAB>cart cookie" lines, one
--             logged-in customer each (the cart cookie: the same session with a 3-line cart)
--   SCENARIO  orders | dashboard | api | lookup (GET /orders/<the customer's order id>) |
--             checkout (POST /cart/checkout of the 3-line cart, a new checkout key each time)
--   CUTOFF    Unix time (whole seconds) after which no new request starts: wrk runs a few
--             seconds longer, so every request sent is answered before wrk stops and the
--             acknowledged orders can be compared exactly with the rows stored.
-- Prints one line "BENCH_JSON {...}" with status counts and latency percentiles.
-- With BENCH_TARGETS="host:port,host:port,..." in the environment, thread i sends to the i-th
-- (an app on several hosts: wrk -t <hosts>, each thread holding its share of the connections);
-- the URL's host then only names the Host header.

local threads = {}
local targets = {}
for host, port in (os.getenv("BENCH_TARGETS") or ""):gmatch("([^,]+):(%d+)") do
   table.insert(targets, { host, port })
end

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
   if #targets > 0 then
      local target = targets[(#threads - 1) % #targets + 1]
      thread.addr = wrk.lookup(target[1], target[2])[1]
   end
end

local requests_ = {}
local next_index = 0
local cutoff = 0
counts = {}

function init(args)
   local sessions, scenario = args[1], args[2]
   cutoff = tonumber(args[3])
   for line in io.lines(sessions) do
      local cookie, token, order, cart = line:match("^([^\t]+)\t([^\t]+)\t([0-9]+)\t([^\t]+)$")
      local request
      if scenario == "orders" then
         request = wrk.format("POST", "/orders/create", {
            ["Cookie"] = cookie,
            ["Content-Type"] = "application/x-www-form-urlencoded",
         }, "pizza=margherita&size=medium&quantity=2&csrf_token=" .. token)
      elseif scenario == "api" then
         request = wrk.format("POST", "/api/orders", {
            ["Cookie"] = cookie,
            ["Content-Type"] = "application/json",
            ["X-CSRF-Token"] = token,
         }, '{"pizza": "margherita", "size": "medium", "quantity": 2}')
      elseif scenario == "lookup" then
         request = wrk.format("GET", "/orders/" .. order, { ["Cookie"] = cookie })
      elseif scenario == "checkout" then
         -- A function: each checkout carries a key of its own (a new cart page each time),
         -- unique across runs too (the cut-off time): a key used before is a retry.
         request = function(number)
            return wrk.format("POST", "/cart/checkout", {
               ["Cookie"] = cart,
               ["Content-Type"] = "application/x-www-form-urlencoded",
            }, "csrf_token=" .. token .. "&checkout_key=bench-" .. cutoff .. "-" ..
               thread_number .. "-" .. string.format("%09d", number))
         end
      else
         request = wrk.format("GET", "/dashboard", { ["Cookie"] = cookie })
      end
      table.insert(requests_, request)
   end
   -- Threads start at different customers so that they do not move in step.
   next_index = (thread_number * 7919) % #requests_
end

local sent = 0

function request()
   next_index = next_index % #requests_ + 1
   local chosen = requests_[next_index]
   if type(chosen) == "function" then
      sent = sent + 1
      return chosen(sent)
   end
   return chosen
end

function delay()
   if os.time() >= cutoff then
      return 3600000 -- idle until wrk stops: nothing left in flight
   end
   return 0
end

function response(status, headers, body)
   counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("counts")) do
         total[status] = (total[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(total) do
      table.insert(parts, string.format('"%d": %d', status, n))
   end
   io.write(string.format(
      'BENCH_JSON {"statuses": {%s}, "requests": %d, "duration_us": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
      '"latency_us": {"p50": %d, "p75": %d, "p90": %d, "p95": %d, "p99": %d, "p999": %d, ' ..
      '"max": %d, "mean": %.1f}}\n',
      table.concat(parts, ", "), summary.requests, summary.duration,
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(95), latency:percentile(99), latency:percentile(99.9), latency.max,
      latency.mean))
end
