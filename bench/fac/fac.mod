/* fac.mod - fac-G facility-location benchmark (Dunning, Huchette, Lubin
   2017), linear part only, in GNU MathProg.  Nothing is solved; use
       glpsol --check -m fac.mod -d fac25.dat
   The second-order cone ||(r[i,j,f,1], r[i,j,f,2])|| <= s[i,j,f] is
   omitted.  Row and column names match bench/fac/fac_glpk.c.  Note that
   MathProg adds the objective as a free row "obj" (1 nonzero), so glpsol
   reports one more row and one more nonzero than fac_glpk. */

param G, integer, > 0;          /* grid is (G+1) x (G+1) customers */
param NF := G;                  /* number of facilities */
param M := 2 * sqrt(2);         /* big-M: diameter of the unit square */

set GRID := 0..G;
set FAC := 1..NF;
set DIM := 1..2;

var d >= 0;
var y{f in FAC, k in DIM} >= 0, <= 1;
var z{i in GRID, j in GRID, f in FAC} binary;
var s{i in GRID, j in GRID, f in FAC} >= 0;
var r{i in GRID, j in GRID, f in FAC, k in DIM};

minimize obj: d;

s.t. assign{i in GRID, j in GRID}:
    sum{f in FAC} z[i,j,f] = 1;

s.t. link{i in GRID, j in GRID, f in FAC}:
    s[i,j,f] - d + M * z[i,j,f] = M;

s.t. r1{i in GRID, j in GRID, f in FAC}:
    r[i,j,f,1] + y[f,1] = i / G;

s.t. r2{i in GRID, j in GRID, f in FAC}:
    r[i,j,f,2] + y[f,2] = j / G;

end;
