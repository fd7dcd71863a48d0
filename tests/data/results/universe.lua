-- A five-exposure universe for the exposure tests (tests/lua/
-- test_exposure.lua, test_results.lua, tests/e2e/test_results.sh): annual expected returns,
-- volatilities and correlations chosen by hand, and a category map.
local U = {}
U.names = { "us_equity", "treasuries", "trend", "real_estate", "gold" }
U.mu = { 0.08, 0.035, 0.06, 0.07, 0.04 }
U.vol = { 0.16, 0.06, 0.12, 0.18, 0.15 }
local vol = U.vol
local corr = {
  { 1, -0.2, 0.1, 0.6, 0.05 }, { -0.2, 1, 0.1, -0.1, 0.2 }, { 0.1, 0.1, 1, 0.1, 0.15 },
  { 0.6, -0.1, 0.1, 1, 0.1 }, { 0.05, 0.2, 0.15, 0.1, 1 },
}
U.cov = {}
for i = 1, #U.names do
  U.cov[i] = {}
  for j = 1, #U.names do U.cov[i][j] = corr[i][j] * vol[i] * vol[j] end
end
U.categories = { us_equity = "equity", treasuries = "rates", trend = "alternatives", real_estate = "real_assets",
                 gold = "real_assets" }
U.equal = {}
for _, e in ipairs(U.names) do U.equal[e] = 1 / #U.names end
return U
