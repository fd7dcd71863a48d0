/* loan_book.mod -- independent GNU MathProg reference for models/loan_book.lua.
   Run from the repository root:
       glpsol -m tests/ref/loan_book.mod -o /tmp/loan_book.txt
   Row and column names match those the Lua model produces:
   columns x[s], buy[s], sell[s]; rows balance[s], sell_max[s], rwa, growth,
   asset_min[a], asset_max[a]; objective profit. */

set S;                          /* loan segments */
set A;                          /* asset types */

param asset{S} symbolic;        /* a(s) */
param E{S} >= 0;                /* current exposure (millions) */
param p{S};                     /* expected annual return, net of expected loss */
param c_orig{S} >= 0;           /* origination cost per unit bought */
param c_sell{S} >= 0;           /* sale cost per unit sold */
param rw{S} >= 0;               /* risk weight */
param d{A} >= 0, <= 1;          /* max relative decrease of an asset type */
param u{A} >= 0;                /* max relative increase of an asset type */

param rwa_limit default 0.5;    /* RWA density cap */
param growth_limit default 1.2; /* total book may grow to 120 % */

table segments IN "CSV" "models/data/loan_segments.csv":
    S <- [segment], asset ~ asset, E ~ exposure, p ~ ret,
    c_orig ~ orig_cost, c_sell ~ sale_cost, rw ~ risk_weight;
table assets IN "CSV" "models/data/loan_assets.csv":
    A <- [asset], d ~ max_decrease, u ~ max_increase;

check {s in S}: asset[s] in A;

param EA{a in A} := sum{s in S: asset[s] = a} E[s];

var x{S} >= 0;                  /* target exposure */
var buy{S} >= 0;                /* originated or bought */
var sell{S} >= 0;               /* sold */

maximize profit:
    sum{s in S} (p[s] * x[s] - c_orig[s] * buy[s] - c_sell[s] * sell[s]);

s.t. balance{s in S}: x[s] = E[s] + buy[s] - sell[s];
s.t. sell_max{s in S}: sell[s] <= E[s];
s.t. rwa: sum{s in S} rw[s] * x[s] <= rwa_limit * sum{s in S} x[s];
s.t. growth: sum{s in S} x[s] <= growth_limit * sum{s in S} E[s];
s.t. asset_min{a in A}: sum{s in S: asset[s] = a} x[s] >= (1 - d[a]) * EA[a];
s.t. asset_max{a in A}: sum{s in S: asset[s] = a} x[s] <= (1 + u[a]) * EA[a];

solve;

printf "profit = %.6f\n", profit;
printf "%-26s %10s %10s %10s %9s\n", "segment", "current", "target", "change", "pct";
printf {s in S} "%-26s %10.2f %10.2f %10.2f %8.1f%%\n",
    s, E[s], x[s], x[s] - E[s], 100 * (x[s] - E[s]) / E[s];
printf "rwa: activity %.4f  rhs %.4f  dual %.6f\n",
    sum{s in S} rw[s] * x[s], rwa_limit * sum{s in S} x[s], rwa.dual;
printf "growth: %.4f <= %.4f  dual %.6f\n",
    sum{s in S} x[s], growth_limit * sum{s in S} E[s], growth.dual;
printf {a in A} "asset %-9s %10.2f in [%10.2f, %10.2f]  duals %.6f %.6f\n",
    a, sum{s in S: asset[s] = a} x[s], (1 - d[a]) * EA[a], (1 + u[a]) * EA[a],
    asset_min[a].dual, asset_max[a].dual;

end;
