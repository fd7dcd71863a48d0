/* folio's QP/SOCP engine: a primal-dual interior-point method with
 * Nesterov-Todd scaling (Mehrotra predictor-corrector), on dense GSL/BLAS
 * linear algebra. Internal to the backend.
 *
 * Problem (CVXOPT's cone form):
 *     minimise    1/2 x'Px + q'x + c0
 *     subject to  A x = b
 *                 G x + s = h,   s in K = R^l_+ x Q^{d_1} x ... x Q^{d_k}
 * where Q^d = {u in R^d : u_0 >= ||u_{1:}||}.
 */
#ifndef FOLIO_QP_H
#define FOLIO_QP_H

#include <stddef.h>

typedef struct qp_csr {
    size_t m, n, nnz;
    size_t *start;     /* m + 1 */
    int *idx;
    double *val;
} qp_csr;

/* Where a row of A or G comes from, to map duals back to the model. */
enum { QP_ROW_EQ, QP_ROW_HI, QP_ROW_LO, QP_COL_FIX, QP_COL_UB, QP_COL_LB, QP_CONE };

typedef struct qp_problem {
    size_t n;
    double *P;              /* n x n row-major, NULL when the objective is linear or diagonal */
    double *Pdiag;          /* n, when P is diagonal (P is then NULL) */
    double *q;
    double c0;
    qp_csr A;
    double *b;
    qp_csr G;
    double *h;
    size_t l;               /* orthant rows come first in G */
    size_t ncones;
    size_t *cone_dim;       /* size of each cone block, in order after the l rows */
    long *cone_src;         /* the model cone of each block: a cone whose
                             * columns are all fixed is a constant and has none */
    int *a_kind, *g_kind;   /* QP_ROW_... per row of A and of G */
    long *a_src, *g_src;    /* model row, column or cone of each row */
    /* presolve: model columns fixed (by their bounds, or by singleton rows
     * that pin them) are substituted out; colmap[j] is the problem's
     * column of model column j, or -1 with its value in fixval[j] */
    size_t ncols_model;
    long *colmap;
    double *fixval;
    /* aliases (qp_backend.c, presolve_alias): alias[j] is the equality row
     * that makes model column j the problem column of another one
     * (colmap[j] is then that column's), else -1 */
    long *alias;
    size_t nalias;
    int infeasible;         /* presolve found a violated constant row */
} qp_problem;

typedef enum qp_status {
    QP_OPTIMAL = 0,
    QP_PRIMAL_INFEASIBLE,
    QP_DUAL_INFEASIBLE,
    QP_MAX_ITER,
    QP_TIME_LIMIT,
    QP_NUMERICAL,
    QP_INTERRUPTED      /* folio_interrupt() */
} qp_status;

typedef struct qp_settings {
    double feastol, abstol, reltol;   /* stopping tolerances */
    int max_iter;
    double time_limit;                /* seconds, <= 0 for none */
    int verbose;
    int dense_kkt;                    /* 1: never take the arrow path */
    int progress;                     /* report iterations (folio_progress) */
    int interruptible;                /* stop when folio_interrupted(); the host's
                                       * budget (folio_poll) stops every solve,
                                       * as QP_TIME_LIMIT */
} qp_settings;

typedef struct qp_solution {
    qp_status status;
    double *x, *y, *z, *s;            /* n, A.m, G.m, G.m */
    double pcost, dcost, gap, pres, dres;
    int iterations;
    char message[200];
} qp_solution;

void qp_settings_default(qp_settings *st);
void qp_problem_free(qp_problem *p);
void qp_solution_free(qp_solution *s);

/* Solves p (dense path). Returns 0, or -1 when memory ran out. */
int qp_ipm_solve(const qp_problem *p, const qp_settings *st, qp_solution *sol);

/* Sparse matrix helpers */
void qp_csr_mul(const qp_csr *M, const double *x, double *y, double alpha, double beta);   /* y = a Mx + b y */
void qp_csr_tmul(const qp_csr *M, const double *x, double *y, double alpha, double beta);  /* y = a M'x + b y */

#endif
