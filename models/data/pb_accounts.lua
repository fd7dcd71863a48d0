-- Five prime-brokerage accounts for models/pb_trade_assignment.lua: cash,
-- holdings (units of 100 face), financing rates (annual, on notional), the
-- metrics each broker computes and the limits it enforces. Haircut
-- schedules and spreads differ by broker; PB_Epsilon takes no high yield.
local function metrics(haircut)
  return {
    gross = { default = 1, by_side = { short = -1 } },        -- gross market value (shorts count positive)
    equity = { default = 1, cash = 1 },                        -- net liquidation value: positions + cash
    collateral = { by_type = haircut },                        -- haircut-weighted collateral value
    hy = { by_type = { corporate_hy = 1 }, by_side = { short = -1 } },   -- gross high yield
  }
end
local function limits(leverage, hy_share, credit_line)
  return {
    { name = "margin", lhs = { cash = 1, collateral = 1 }, sense = ">=", rhs = 0 },   -- financing covered by collateral
    { name = "leverage", ratio = { "gross", "<=", leverage, "equity" } },
    { name = "hy_share", ratio = { "hy", "<=", hy_share, "gross" } },
    { name = "credit_line", lhs = "cash", sense = ">=", rhs = -credit_line },
  }
end
return {
  { name = "PB_Alpha", cash = 2.0e6,
    positions = { UST_10Y_1 = 20000, IG_03 = 8000, HY_02 = 3000 },
    financing = { government = { long = 0.0035, short = 0.0020 }, corporate_ig = { long = 0.0085, short = 0.0045 },
                  corporate_hy = { long = 0.0190, short = 0.0100 } },
    metrics = metrics { government = 0.98, corporate_ig = 0.88, corporate_hy = 0.70 },
    limits = limits(9, 0.25, 12e6) },
  { name = "PB_Beta", cash = 3.0e6,
    positions = { UST_5Y_2 = 15000, IG_11 = 6000 },
    financing = { government = { long = 0.0040, short = 0.0018 }, corporate_ig = { long = 0.0075, short = 0.0040 },
                  corporate_hy = { long = 0.0210, short = 0.0110 } },
    metrics = metrics { government = 0.985, corporate_ig = 0.90, corporate_hy = 0.65 },
    limits = limits(8, 0.20, 15e6) },
  { name = "PB_Gamma", cash = 1.5e6,
    positions = { IG_20 = 10000, HY_07 = 5000 },
    financing = { government = { long = 0.0030, short = 0.0022 }, corporate_ig = { long = 0.0095, short = 0.0050 },
                  corporate_hy = { long = 0.0165, short = 0.0090 } },
    metrics = metrics { government = 0.98, corporate_ig = 0.86, corporate_hy = 0.72 },
    limits = limits(9, 0.45, 10e6) },
  { name = "PB_Delta", cash = 4.0e6,
    positions = { UST_2Y_3 = 30000 },
    financing = { government = { long = 0.0028, short = 0.0015 }, corporate_ig = { long = 0.0105, short = 0.0055 },
                  corporate_hy = { long = 0.0240, short = 0.0120 } },
    metrics = metrics { government = 0.99, corporate_ig = 0.85, corporate_hy = 0.60 },
    limits = limits(11, 0.15, 14e6) },
  { name = "PB_Epsilon", cash = 2.5e6, accepts = { "government", "corporate_ig" },
    positions = { UST_7Y_2 = 12000, IG_25 = 9000 },
    financing = { government = { long = 0.0045, short = 0.0025 }, corporate_ig = { long = 0.0070, short = 0.0038 },
                  corporate_hy = { long = 0.0300, short = 0.0150 } },
    metrics = metrics { government = 0.985, corporate_ig = 0.92, corporate_hy = 0.50 },
    limits = limits(7, 0.05, 10e6) },
}
