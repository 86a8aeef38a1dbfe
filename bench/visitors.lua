-- Visitors from many addresses, as they reach gunicorn behind the TLS proxy:
-- each request carries X-Forwarded-For with the next of COUNT addresses in
-- 198.51.100.0/24 and 203.0.113.0/24 (documentation ranges, never internal),
-- as the proxy writes it, and X-Forwarded-Proto: https.
--
--   wrk -t1 -c8 -d10s --latency -s bench/visitors.lua URL -- COUNT

function init(args)
   count = tonumber(args[1] or "256")
   position = 0
end

function request()
   position = (position % count) + 1
   local address = string.format("%s.%d", position <= 254 and "198.51.100" or "203.0.113",
                                 (position - 1) % 254 + 1)
   return wrk.format("GET", nil, {
      ["X-Forwarded-Proto"] = "https",
      ["X-Forwarded-For"] = address,
   })
end
