-- Backtracking in C: 20 nested a* against 5000 a's and no b.
return string.find(string.rep("a", 5000), string.rep("a*", 20) .. "b")
