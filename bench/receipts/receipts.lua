-- wrk script: GET a random accepted vote's receipt (nullifiers.txt from ReceiptsBench).
local nullifiers = {}
local path
init = function(args)
  path = args[1]
  for line in io.lines(args[2]) do nullifiers[#nullifiers + 1] = line end
  math.randomseed(os.time() + math.random(1000))
end
request = function()
  return wrk.format("GET", path .. nullifiers[math.random(#nullifiers)])
end
local bad = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"inclusionProof"', 1, true) then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("non-receipt answers: %d (in the last thread)\n", bad))
end
