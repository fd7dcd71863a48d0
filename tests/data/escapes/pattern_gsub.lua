-- Quadratic: each of 200000 starts scans to the end for a b.
return (("a"):rep(200000)):gsub("a*b", "")
