-- bench/hostile.py's flood: the requests of a list the benchmark wrote, one
-- "path<TAB>origin" a line ("-": no Origin), sent in order from the line
-- the benchmark names, so that no request of a run repeats an earlier one.
--
--   wrk -t1 -c8 -d12s -s bench/flood.lua http://127.0.0.1:8770 -- LIST FIRST_LINE ATTACKERS
--
-- From ATTACKERS addresses in 192.0.2.0/24 in turn (X-Forwarded-For, as the
-- TLS proxy writes a client's), or from gunicorn's own peer without it.
--
-- One thread: its Lua state holds the list and where it is in it. At the
-- end it writes "wrapped <n>" (how often it ran out of lines and began
-- again). No response() callback: wrk would copy every body into Lua, and
-- the flood would spend the machine's CPU on itself, not on the server.

local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
end

function init(args)
   lines = {}
   for line in io.lines(args[1]) do
      local path, origin = line:match("^(.-)\t(.*)$")
      lines[#lines + 1] = { path, origin }
   end
   position = tonumber(args[2] or "1")
   attackers = tonumber(args[3] or "0")
   wrapped = 0
end

function request()
   local line = lines[position]
   position = position + 1
   if position > #lines then
      position = 1
      wrapped = wrapped + 1
   end
   local headers = { ["X-Forwarded-Proto"] = "https" }
   if attackers > 0 then
      headers["X-Forwarded-For"] = string.format("192.0.2.%d", position % attackers + 1)
   end
   if line[2] ~= "-" then
      headers["Origin"] = line[2]
   end
   return wrk.format("GET", line[1], headers)
end

function done(summary, latency, requests)
   for _, thread in ipairs(threads) do
      io.write(string.format("wrapped %d\n", thread:get("wrapped")))
   end
end
