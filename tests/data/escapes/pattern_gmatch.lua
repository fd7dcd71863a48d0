-- gmatch over every start, each backtracking through 15 nested a*.
for w in ("a"):rep(3000):gmatch(("a*"):rep(15) .. "c") do print(w) end
