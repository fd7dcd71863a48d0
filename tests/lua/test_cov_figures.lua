-- The O(n^2) covariance loops the exposure optimizer runs in C
-- (src/lua/lstats.c: asymmetric, correlated_pairs, describe, gather_rows)
-- against the same formulas written out in Lua, on random matrices; and
-- stats.solve against systems of known solution.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local stats = folio.core_stats

math.randomseed(11)
local n = 30
local names, F = {}, {}
for i = 1, n do
  names[i] = "x" .. i
  F[i] = { math.random() - 0.5, math.random() - 0.5, math.random() - 0.5 }
end
local cov = {}
for i = 1, n do
  cov[i] = {}
  for j = 1, n do
    local s = 0
    for k = 1, 3 do s = s + F[i][k] * F[j][k] end
    cov[i][j] = s + (i == j and 0.1 * math.random() or 0)
  end
end
for i = 1, n do for j = 1, i - 1 do cov[i][j] = cov[j][i] end end
-- one exposure without risk: its correlations are 1 with itself, 0 else
for j = 1, n do cov[7][j], cov[j][7] = 0, 0 end

-- describe: S w and the correlations keyed by name, as the Lua formulas give them
local w = {}
for i = 1, n do w[i] = math.random() - 0.3 end
local sw, corr = stats.describe(cov, w, names)
local bad_sw, bad_c, count = 0, 0, 0
for i = 1, n do
  local s = 0
  for j = 1, n do s = s + cov[i][j] * w[j] end
  if sw[i] ~= s then bad_sw = bad_sw + 1 end
  for j = 1, n do
    local d = math.sqrt(cov[i][i]) * math.sqrt(cov[j][j])
    local want = d > 0 and cov[i][j] / d or (i == j and 1 or 0)
    if corr[names[i]][names[j]] ~= want then bad_c = bad_c + 1 end
    count = count + 1
  end
end
T.eq(bad_sw, 0, "describe: S w equals the Lua sum in every entry")
T.eq(bad_c, 0, "describe: every correlation equals the Lua formula")
T.eq(count, n * n, "describe: n^2 correlations compared")
T.eq(corr.x7.x7, 1, "describe: a riskless exposure is correlated 1 with itself")
T.eq(corr.x7.x3, 0, "describe: and 0 with the others")
T.eq(corr[1], nil, "describe: the correlations are keyed by name, not position")
T.raises_exact(function() stats.describe(cov, { 1, 2 }, names) end, "describe: w has 2 entries, expected 30",
  "describe: w of the wrong length")

-- correlated_pairs: every pair i < j above r, row by row
for _, r in ipairs { -1, 0, 0.5, 0.8, 1 } do
  local want = {}
  for i = 1, n do
    for j = i + 1, n do
      local d = math.sqrt(cov[i][i] * cov[j][j])
      if d > 0 and cov[i][j] / d > r then want[#want + 1] = i .. "," .. j end
    end
  end
  local got = {}
  for k, p in ipairs(stats.correlated_pairs(cov, r)) do got[k] = p[1] .. "," .. p[2] end
  T.eq(table.concat(got, " "), table.concat(want, " "), ("correlated_pairs above %g: %d pairs"):format(r, #want))
end

-- asymmetric: the first pair, row by row, beyond 1e-10 relative
T.eq(stats.asymmetric(cov), nil, "asymmetric: a symmetric matrix")
cov[9][12] = cov[9][12] * (1 + 1e-12)
T.eq(stats.asymmetric(cov), nil, "asymmetric: a difference of 1e-12 relative is rounding")
cov[20][4] = cov[20][4] + 1e-3
cov[12][9] = cov[12][9] + 1e-3
local i, j = stats.asymmetric(cov)
T.eq(i .. "," .. j, "4,20", "asymmetric: the first pair row by row (4, 20 before 9, 12)")
cov[20][4], cov[12][9] = cov[4][20], cov[9][12]

-- gather_rows: out[i][j] = M[key[i]][key[j]], or the first entry that is not a finite number
local keyed = {}
for a = 1, n do
  keyed[names[a]] = {}
  for b = 1, n do keyed[names[a]][names[b]] = cov[a][b] end
end
local order = {}
for a = 1, n do order[a] = names[n + 1 - a] end
local got = stats.gather_rows(keyed, order)
local wrong = 0
for a = 1, n do for b = 1, n do if got[a][b] ~= cov[n + 1 - a][n + 1 - b] then wrong = wrong + 1 end end end
T.eq(wrong, 0, "gather_rows: a keyed matrix in another order, entry by entry")
for _, case in ipairs { { 0 / 0, "NaN" }, { math.huge, "inf" }, { "0.1", "a string" }, { nil, "a hole" } } do
  local saved = keyed.x5.x3
  keyed.x5.x3 = case[1]
  local out, bi, bj = stats.gather_rows(keyed, names)
  T.eq(tostring(out) .. " " .. tostring(bi) .. " " .. tostring(bj), "nil 5 3", "gather_rows: stops at " .. case[2])
  keyed.x5.x3 = saved
end

-- solve: A x = b by elimination with pivoting (Black-Litterman, the
-- bounded least squares' subproblems), against systems of known solution
local x3 = stats.solve({ { 0, 2, 1 }, { 1, 1, 1 }, { 2, 0, 3 } }, { 7, 6, 11 })
T.eq(table.concat(x3, " "), "1.0 2.0 3.0", "solve: a 3x3 needing a row swap (a zero pivot), exact")
local k, A, want, b = 12, {}, {}, {}
for i = 1, k do
  A[i] = {}
  for j = 1, k do A[i][j] = math.random() - 0.5 + (i == j and 2 or 0) end
  want[i] = math.random() * 10 - 5
end
for i = 1, k do
  local s = 0
  for j = 1, k do s = s + A[i][j] * want[j] end
  b[i] = s
end
local saved_A11 = A[1][1]
local xs = stats.solve(A, b)
local err = 0
for i = 1, k do err = math.max(err, math.abs(xs[i] - want[i])) end
T.ok(err <= 1e-12, ("solve: a diagonally dominant 12x12 to 1e-12 (largest error %.1e)"):format(err))
T.eq(A[1][1], saved_A11, "solve: A is left as it was")
T.eq(stats.solve({ { 1, 2 }, { 2, 4 } }, { 1, 2 }), nil, "solve: a singular matrix gives nil")
T.eq(#stats.solve({}, {}), 0, "solve: the empty system")
T.raises(function() stats.solve({ { 1 } }, { 1, 2 }) end, "solve: A has 1 rows, b 2 entries", "solve: shapes")
T.raises(function() stats.solve({ { 1, 0 }, { 0 } }, { 1, 2 }) end, "solve: A[2] is not a row of 2 numbers",
  "solve: a short row")
T.raises(function() stats.solve({ { 1, "0" }, { 0, 1 } }, { 1, 2 }) end, "solve: A[1][2] is not a number",
  "solve: a string entry")
T.raises(function() stats.solve({ { 1, 0 }, { 0, 1 } }, { 1, true }) end, "solve: b[2] is not a number",
  "solve: a non-number in b")

T.done()
