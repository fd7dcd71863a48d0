/* folio CIM engine: the portfolio gradient flow integrated with SUNDIALS,
 * its exact stationary point, and coherent-Ising-machine amplitude
 * dynamics for discrete selection (docs/cim.md).
 *
 * Library code: no Lua, no exit(); every function validates its inputs
 * before allocating and reports through a status plus a message. */
#ifndef FOLIO_CIM_H
#define FOLIO_CIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ *
 * Gradient flow  dw/dt = -grad E(w),
 *   E = -mu'w + (gamma/2) w'Theta w                         (V)
 *     + sigma sum_i nu_i (w_i - Omega_i)^2                   (W', smooth cost)
 *     + rho sum_k (u_k'w - lambda_k)^2                       (U, budgets)
 *     [+ sum_i nu_i sqrt((w_i - Omega_i)^2 + eps^2)          (L1 cost, eps > 0)]
 * with boxes lo <= w <= hi and allocation limits sum_{I_k} w <= cap_k
 * kept by projection.
 * ------------------------------------------------------------------ */

typedef enum {
    FOLIO_CIM_CVODE_BDF = 0,   /* stiff: BDF + Newton (dense or PCG) */
    FOLIO_CIM_CVODE_ADAMS,     /* Adams-Moulton + fixed-point iteration */
    FOLIO_CIM_ERK_DP5,         /* ARKODE ERKStep, Dormand-Prince 5(4) */
    FOLIO_CIM_ERK_TSIT5        /* ARKODE ERKStep, Tsitouras 5(4) (user table) */
} folio_cim_integrator;

typedef enum {
    FOLIO_CIM_LS_AUTO = 0,     /* dense up to 200 assets, PCG above */
    FOLIO_CIM_LS_DENSE,        /* dense LU with the analytic Jacobian */
    FOLIO_CIM_LS_PCG           /* matrix-free PCG, Jacobi preconditioner */
} folio_cim_linsol;

typedef enum {
    FOLIO_CIM_CONVERGED = 0,   /* projected gradient norm below grad_tol */
    FOLIO_CIM_TMAX,            /* reached t_max first */
    FOLIO_CIM_SOLVER_FAILURE,  /* SUNDIALS failed; message holds its text */
    FOLIO_CIM_STEP_LIMIT,      /* max_steps internal steps without converging */
    FOLIO_CIM_INVALID,         /* bad input; message names it */
    FOLIO_CIM_INTERRUPTED,     /* folio_interrupt() (folio.h): w is the state reached */
    FOLIO_CIM_NO_MEMORY        /* an allocation failed; w is not an answer */
} folio_cim_status;

typedef struct {
    size_t n;
    const double *mu;            /* n */
    const double *theta;         /* n x n row-major, symmetric */
    double gamma;                /* risk aversion, >= 0 */
    /* budget equalities as penalty: group k = idx[start[k] .. start[k+1]) */
    size_t ngroups;
    const size_t *group_start;   /* ngroups + 1 */
    const int *group_idx;        /* 0-based asset indices */
    const double *lambda;        /* ngroups */
    double rho;                  /* penalty weight, > 0 when ngroups > 0 */
    /* allocation limits, kept by projection */
    size_t nlimits;
    const size_t *limit_start;   /* nlimits + 1 */
    const int *limit_idx;
    const double *limit_cap;     /* nlimits */
    const double *lo, *hi;       /* boxes, or NULL for none (entries may be +-inf) */
    /* trading cost against previous weights */
    const double *nu;            /* n, >= 0, or NULL (no cost) */
    const double *omega;         /* n, or NULL (zeros) */
    double sigma;                /* weight of the smooth quadratic stand-in */
    double l1_eps;               /* > 0: add the smoothed L1 cost (0: off) */
    const double *w0;            /* start, or NULL (the projection of 0) */
} folio_cim_problem;

typedef struct {
    folio_cim_integrator integrator;
    folio_cim_linsol linsol;
    double rtol, atol;           /* integrator tolerances */
    double grad_tol;             /* stop at ||projected gradient|| <= grad_tol */
    double t_max;
    long max_steps;              /* internal steps; 0 = unlimited */
    size_t samples;              /* trajectory samples kept (0 = none) */
} folio_cim_options;

typedef struct {
    folio_cim_status status;
    char message[256];
    size_t n;
    double *w;                   /* final weights (n) */
    double t_end, grad_norm, energy;
    long steps, rhs_evals, jac_evals, lin_iters, nonlin_iters, err_test_fails, projections;
    long events;                 /* active-set changes (each re-initialises the integrator) */
    double time_s;
    double max_violation;        /* largest limit violation over accepted steps */
    size_t nsamples;
    double *sample_t, *sample_energy, *sample_w;   /* nsamples, nsamples, nsamples x n */
} folio_cim_result;

void folio_cim_default_options(folio_cim_options *o);

/* Checks the problem (symmetric Theta, nu >= 0, rho > 0 with groups,
 * indices in range, lo <= hi, finite data); 0 or -1 with msg filled. */
int folio_cim_validate(const folio_cim_problem *p, char *msg, size_t msglen);

/* Integrates the flow; r is filled (free it with folio_cim_result_free).
 * Reports progress and stops on folio_interrupt() (folio.h) between steps. */
folio_cim_status folio_cim_solve(const folio_cim_problem *p, const folio_cim_options *o, folio_cim_result *r);
void folio_cim_result_free(folio_cim_result *r);

/* Energy and gradient at w (grad may be NULL). */
double folio_cim_energy(const folio_cim_problem *p, const double *w, double *grad);

/* The exact stationary point of the unconstrained (no box, no limit,
 * no L1) energy: H w = mu + 2 sigma nu.*Omega + 2 rho sum_k lambda_k u_k
 * with H = gamma Theta + 2 sigma diag(nu) + 2 rho sum_k u_k u_k'.
 * Cholesky, or LU when H is not positive definite; 0, or -1 (singular). */
int folio_cim_exact(const folio_cim_problem *p, double *w, char *msg, size_t msglen);

/* ------------------------------------------------------------------ *
 * Ising amplitude dynamics. Energy H(s) = -1/2 s'Js - h's, s in {-1,1}^n,
 * J symmetric with zero diagonal.
 * ------------------------------------------------------------------ */

typedef enum {
    FOLIO_ISING_CIM_AHC = 0,     /* CIM with amplitude heterogeneity correction */
    FOLIO_ISING_CAC,             /* chaotic amplitude control */
    FOLIO_ISING_SB_BALLISTIC,    /* simulated bifurcation, ballistic */
    FOLIO_ISING_SB_DISCRETE      /* simulated bifurcation, discrete */
} folio_ising_method;

typedef enum {
    FOLIO_ISING_EULER = 0,       /* fixed-step (symplectic for SB) Euler map */
    FOLIO_ISING_SUNDIALS         /* CVODE between discrete events, CVodeReInit after each */
} folio_ising_path;

typedef struct {
    size_t n;
    const double *J;             /* n x n row-major, symmetric, zero diagonal */
    const double *h;             /* n, or NULL */
} folio_ising_problem;

typedef struct {
    folio_ising_method method;
    folio_ising_path path;
    size_t runs;                 /* independent random starts */
    unsigned long seed;          /* GSL RNG seed (mt19937) */
    double t_max;                /* time per run */
    double dt;                   /* Euler step */
    double rtol, atol;           /* SUNDIALS path */
    /* CIM-AHC / CAC (Leleu et al. 2019, 2021) */
    double p, eps, beta, a;
    /* SB (Goto et al. 2019, 2021): a0, c0 (0 = 0.5 / (sqrt(n) std(J))) */
    double a0, c0;
    double target_energy;        /* success threshold; NAN: the best found */
} folio_ising_options;

typedef struct {
    int status;                  /* 0 ok, -1 invalid input or solver failure,
                                  * FOLIO_ISING_INTERRUPTED after folio_interrupt() */
    char message[256];
    size_t n, runs;
    double best_energy;
    int *best_spins;             /* n, +-1 */
    double *run_energy;          /* runs: best energy of each run */
    double *run_hit_time;        /* runs: time the target was first reached, or -1 */
    double mean_energy, std_energy;
    double success_probability;  /* share of runs reaching target (or best) */
    double time_to_solution;     /* t_max * ln(0.01)/ln(1 - p_s): 99% confidence */
    long steps, events, reinits;
    double time_s;
} folio_ising_result;

#define FOLIO_ISING_INTERRUPTED 1

void folio_ising_default_options(folio_ising_method m, folio_ising_options *o);
/* Returns r->status. Progress and interruption as in folio.h: the runs
 * report between steps; an interrupted solve keeps no result. */
int folio_ising_solve(const folio_ising_problem *p, const folio_ising_options *o, folio_ising_result *r);
void folio_ising_result_free(folio_ising_result *r);
double folio_ising_energy(const folio_ising_problem *p, const int *s);

/* QUBO  x'Qx + q'x (+ c), x in {0,1}^n, as Ising via x = (1 + s)/2:
 * fills J (n x n), h (n) and the constant offset so that for every s the
 * energies agree. Q need not be symmetric (its symmetric part is used). */
void folio_qubo_to_ising(size_t n, const double *Q, const double *q, double *J, double *h, double *offset);

/* Exhaustive minimum of the Ising energy for n <= 30 (Gray code, O(n 2^n)).
 * 0; 1 when folio_poll() said stop (Ctrl-C or the host's budget: the
 * outputs are then the best seen so far, not the minimum); -1 on bad sizes
 * or no memory. */
int folio_ising_bruteforce(const folio_ising_problem *p, int *best_spins, double *best_energy);

/* The minimum of x'Qx + q'x over x in {0,1}^n with exactly K ones (n <= 64),
 * by exhaustive enumeration; best receives the K chosen indices (0-based).
 * 0; 1 when folio_poll() said stop (Ctrl-C or the host's budget: the
 * outputs are then the best seen so far, not the minimum); -1 on bad sizes
 * or no memory. */
int folio_qubo_best_subset(size_t n, const double *Q, const double *q, size_t K, int *best, double *best_energy);

#ifdef __cplusplus
}
#endif
#endif
