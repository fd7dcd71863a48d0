/* loan_book_mip.mod -- independent GNU MathProg reference for
   models/loan_book_mip.lua: the loan-book LP plus
     (i)  a fixed fee F[s] paid when segment s trades at all (binary trade[s]),
     (ii) sales executed over quarters under a per-quarter liquidity cap,
          later quarters at an extra discount (sale_cost_markup).
   Run from the repository root:
       glpsol -m tests/ref/loan_book_mip.mod -o /tmp/loan_book_mip.txt
   Names as in the Lua model: columns x[s], buy[s], sell[s], trade[s],
   sell_q[s,q]; rows balance[s], sell_max[s], rwa, growth, asset_min[a],
   asset_max[a], fee_link[s], sale_split[s], sale_cap[q]; objective profit. */

set S;                          /* loan segments */
set A;                          /* asset types */
set Q;                          /* quarters in which sales are executed */

param asset{S} symbolic;
param E{S} >= 0;
param p{S};
param c_orig{S} >= 0;
param c_sell{S} >= 0;
param rw{S} >= 0;
param d{A} >= 0, <= 1;
param u{A} >= 0;
param F{S} >= 0;                /* fixed fee if segment s trades */
param cap{Q} >= 0;              /* max total sales in quarter q */
param mk{Q} >= 0;               /* extra sale cost per unit sold in quarter q */

param rwa_limit default 0.5;
param growth_limit default 1.2;

table segments IN "CSV" "models/data/loan_segments.csv":
    S <- [segment], asset ~ asset, E ~ exposure, p ~ ret,
    c_orig ~ orig_cost, c_sell ~ sale_cost, rw ~ risk_weight;
table assets IN "CSV" "models/data/loan_assets.csv":
    A <- [asset], d ~ max_decrease, u ~ max_increase;
table fees IN "CSV" "models/data/loan_fees.csv":
    [segment], F ~ fixed_fee;
table quarters IN "CSV" "models/data/loan_quarters.csv":
    Q <- [quarter], cap ~ sale_cap, mk ~ sale_cost_markup;

check {s in S}: asset[s] in A;

param EA{a in A} := sum{s in S: asset[s] = a} E[s];
/* big-M: sell[s] <= E[s] and buy[s] <= x[s] <= (1 + u[a]) * EA[a] */
param M{s in S} := (1 + u[asset[s]]) * EA[asset[s]] + E[s];

var x{S} >= 0;
var buy{S} >= 0;
var sell{S} >= 0;
var trade{S} binary;
var sell_q{S, Q} >= 0;

maximize profit:
    sum{s in S} (p[s] * x[s] - c_orig[s] * buy[s] - c_sell[s] * sell[s])
  - sum{s in S, q in Q} mk[q] * sell_q[s, q]
  - sum{s in S} F[s] * trade[s];

s.t. balance{s in S}: x[s] = E[s] + buy[s] - sell[s];
s.t. sell_max{s in S}: sell[s] <= E[s];
s.t. rwa: sum{s in S} rw[s] * x[s] <= rwa_limit * sum{s in S} x[s];
s.t. growth: sum{s in S} x[s] <= growth_limit * sum{s in S} E[s];
s.t. asset_min{a in A}: sum{s in S: asset[s] = a} x[s] >= (1 - d[a]) * EA[a];
s.t. asset_max{a in A}: sum{s in S: asset[s] = a} x[s] <= (1 + u[a]) * EA[a];
s.t. fee_link{s in S}: buy[s] + sell[s] <= M[s] * trade[s];
s.t. sale_split{s in S}: sum{q in Q} sell_q[s, q] = sell[s];
s.t. sale_cap{q in Q}: sum{s in S} sell_q[s, q] <= cap[q];

solve;

printf "profit = %.6f\n", profit;
printf "%-26s %10s %10s %10s %5s %s\n", "segment", "current", "target", "change", "trade", "sales by quarter";
printf {s in S} "%-26s %10.2f %10.2f %10.2f %5d %s\n",
    s, E[s], x[s], x[s] - E[s], trade[s],
    sum{q in Q} (if sell_q[s, q] > 1e-9 then 1 else 0);
printf {s in S, q in Q: sell_q[s, q] > 1e-9} "  sell_q[%s,%s] = %.2f\n", s, q, sell_q[s, q];
printf "rwa: %.4f <= %.4f\n", sum{s in S} rw[s] * x[s], rwa_limit * sum{s in S} x[s];
printf "growth: %.4f <= %.4f\n", sum{s in S} x[s], growth_limit * sum{s in S} E[s];
printf {a in A} "asset %-9s %10.2f in [%10.2f, %10.2f]\n",
    a, sum{s in S: asset[s] = a} x[s], (1 - d[a]) * EA[a], (1 + u[a]) * EA[a];
printf {q in Q} "sale_cap[%s] %10.2f <= %10.2f\n", q, sum{s in S} sell_q[s, q], cap[q];

end;
