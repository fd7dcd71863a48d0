-- rep("", n) loops n times in C to build "".
return #string.rep("", 1e15) .. " " .. #string.rep("", 1e15, "")
