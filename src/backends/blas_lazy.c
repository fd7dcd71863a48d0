/* OpenBLAS loaded on first use, for the folio executable (and the other
 * programs that link the static libfolio): OpenBLAS's own relocations
 * (12,000 symbol lookups) and its thread pool were most of what remained
 * of folio's start-up time once the COIN-OR backends became a plugin
 * (docs/benchmarks.md, "Start-up").
 *
 * The program defines the double-precision CBLAS functions (as
 * gsl_cblas.h declares them) and the single-precision ones folio calls
 * (cblas_ssymv; tests/e2e/test_lazy_load.sh checks that none is missing), dpotrf_ and openblas_{get,set}_num_threads,
 * and exports them (-Wl,--export-dynamic-symbol, cmake/blas_lazy.cmake),
 * so that GSL's calls bind here rather than to its reference CBLAS; the
 * first call loads OpenBLAS with dlopen and every call forwards to it.
 * When OpenBLAS cannot be loaded the CBLAS calls go to the next
 * definition in the process (GSL's libgslcblas), with one warning line,
 * and dpotrf_ (which only OpenBLAS provides) stops the process with one
 * line naming the library.
 *
 * The shared libfolio, the Lua module and the Python module link OpenBLAS
 * directly, as before, and do not contain this file. */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <gsl/gsl_cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FOLIO_OPENBLAS_SONAME
#define FOLIO_OPENBLAS_SONAME "libopenblas.so.0"
#endif

enum {
    B_DDOT,
    B_DNRM2,
    B_DASUM,
    B_IDAMAX,
    B_DSWAP,
    B_DCOPY,
    B_DAXPY,
    B_DROTG,
    B_DROTMG,
    B_DROT,
    B_DROTM,
    B_DSCAL,
    B_DGEMV,
    B_DGBMV,
    B_DTRMV,
    B_DTBMV,
    B_DTPMV,
    B_DTRSV,
    B_DTBSV,
    B_DTPSV,
    B_DSYMV,
    B_DSBMV,
    B_DSPMV,
    B_DGER,
    B_DSYR,
    B_DSPR,
    B_DSYR2,
    B_DSPR2,
    B_DGEMM,
    B_DSYMM,
    B_DSYRK,
    B_DSYR2K,
    B_DTRMM,
    B_DTRSM,
    B_SSYMV,   /* the CIM flow's single-precision Newton products */
    B_DPOTRF,
    B_GET_THREADS,
    B_SET_THREADS,
    B_COUNT
};

static const char *const blas_names[B_COUNT] = {
    "cblas_ddot",
    "cblas_dnrm2",
    "cblas_dasum",
    "cblas_idamax",
    "cblas_dswap",
    "cblas_dcopy",
    "cblas_daxpy",
    "cblas_drotg",
    "cblas_drotmg",
    "cblas_drot",
    "cblas_drotm",
    "cblas_dscal",
    "cblas_dgemv",
    "cblas_dgbmv",
    "cblas_dtrmv",
    "cblas_dtbmv",
    "cblas_dtpmv",
    "cblas_dtrsv",
    "cblas_dtbsv",
    "cblas_dtpsv",
    "cblas_dsymv",
    "cblas_dsbmv",
    "cblas_dspmv",
    "cblas_dger",
    "cblas_dsyr",
    "cblas_dspr",
    "cblas_dsyr2",
    "cblas_dspr2",
    "cblas_dgemm",
    "cblas_dsymm",
    "cblas_dsyrk",
    "cblas_dsyr2k",
    "cblas_dtrmm",
    "cblas_dtrsm",
    "cblas_ssymv",
    "dpotrf_",
    "openblas_get_num_threads",
    "openblas_set_num_threads",
};

static void *blas_table[B_COUNT];
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
/* openblas_set_num_threads before the load: applied at the load (main.c
 * sets 1 thread at start-up, which must not load OpenBLAS) */
static int pending_threads;
static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;

static void blas_load(void)
{
    void *h = dlopen(FOLIO_OPENBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) fprintf(stderr, "folio: %s could not be loaded (%s): using GSL's reference BLAS\n",
                    FOLIO_OPENBLAS_SONAME, dlerror());
    for (int i = 0; i < B_COUNT; i++) {
        blas_table[i] = h ? dlsym(h, blas_names[i]) : NULL;
        /* the next definition in the process: GSL's libgslcblas */
        if (!blas_table[i] && i < B_DPOTRF) blas_table[i] = dlsym(RTLD_NEXT, blas_names[i]);
    }
    pthread_mutex_lock(&pending_lock);
    if (pending_threads > 0 && blas_table[B_SET_THREADS])
        ((void (*)(int))blas_table[B_SET_THREADS])(pending_threads);
    pending_threads = -1;   /* loaded: later calls go straight through */
    pthread_mutex_unlock(&pending_lock);
}

static void *blas_fn(int which)
{
    pthread_once(&blas_once, blas_load);
    void *fn = blas_table[which];
    if (!fn) {
        fprintf(stderr, "folio: %s is missing from %s, which could not be loaded: install OpenBLAS "
                        "(Debian: libopenblas0)\n", blas_names[which], FOLIO_OPENBLAS_SONAME);
        exit(70);
    }
    return fn;
}

void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info)
{
    ((void (*)(const char *, const int *, double *, const int *, int *))blas_fn(B_DPOTRF))(uplo, n, a, lda, info);
}

int openblas_get_num_threads(void);
int openblas_get_num_threads(void)
{
    pthread_once(&blas_once, blas_load);
    return blas_table[B_GET_THREADS] ? ((int (*)(void))blas_table[B_GET_THREADS])() : 1;
}

void openblas_set_num_threads(int n);
void openblas_set_num_threads(int n)
{
    pthread_mutex_lock(&pending_lock);
    int loaded = pending_threads < 0;
    if (!loaded) pending_threads = n;
    pthread_mutex_unlock(&pending_lock);
    if (loaded && blas_table[B_SET_THREADS]) ((void (*)(int))blas_table[B_SET_THREADS])(n);
}

double cblas_ddot(const int N, const double *X, const int incX, const double *Y, const int incY)
{
    return ((double(*)(const int N, const double *X, const int incX, const double *Y, const int incY))blas_fn(B_DDOT))(N, X, incX, Y, incY);
}

double cblas_dnrm2(const int N, const double *X, const int incX)
{
    return ((double(*)(const int N, const double *X, const int incX))blas_fn(B_DNRM2))(N, X, incX);
}

double cblas_dasum(const int N, const double *X, const int incX)
{
    return ((double(*)(const int N, const double *X, const int incX))blas_fn(B_DASUM))(N, X, incX);
}

CBLAS_INDEX cblas_idamax(const int N, const double *X, const int incX)
{
    return ((CBLAS_INDEX(*)(const int N, const double *X, const int incX))blas_fn(B_IDAMAX))(N, X, incX);
}

void cblas_dswap(const int N, double *X, const int incX, double *Y, const int incY)
{
    ((void(*)(const int N, double *X, const int incX, double *Y, const int incY))blas_fn(B_DSWAP))(N, X, incX, Y, incY);
}

void cblas_dcopy(const int N, const double *X, const int incX, double *Y, const int incY)
{
    ((void(*)(const int N, const double *X, const int incX, double *Y, const int incY))blas_fn(B_DCOPY))(N, X, incX, Y, incY);
}

void cblas_daxpy(const int N, const double alpha, const double *X, const int incX, double *Y, const int incY)
{
    ((void(*)(const int N, const double alpha, const double *X, const int incX, double *Y, const int incY))blas_fn(B_DAXPY))(N, alpha, X, incX, Y, incY);
}

void cblas_drotg(double *a, double *b, double *c, double *s)
{
    ((void(*)(double *a, double *b, double *c, double *s))blas_fn(B_DROTG))(a, b, c, s);
}

void cblas_drotmg(double *d1, double *d2, double *b1, const double b2, double *P)
{
    ((void(*)(double *d1, double *d2, double *b1, const double b2, double *P))blas_fn(B_DROTMG))(d1, d2, b1, b2, P);
}

void cblas_drot(const int N, double *X, const int incX, double *Y, const int incY, const double c, const double s)
{
    ((void(*)(const int N, double *X, const int incX, double *Y, const int incY, const double c, const double s))blas_fn(B_DROT))(N, X, incX, Y, incY, c, s);
}

void cblas_drotm(const int N, double *X, const int incX, double *Y, const int incY, const double *P)
{
    ((void(*)(const int N, double *X, const int incX, double *Y, const int incY, const double *P))blas_fn(B_DROTM))(N, X, incX, Y, incY, P);
}

void cblas_dscal(const int N, const double alpha, double *X, const int incX)
{
    ((void(*)(const int N, const double alpha, double *X, const int incX))blas_fn(B_DSCAL))(N, alpha, X, incX);
}

void cblas_dgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE TransA, const int M, const int N, const double alpha, const double *A, const int lda, const double *X, const int incX, const double beta, double *Y, const int incY)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE TransA, const int M, const int N, const double alpha, const double *A, const int lda, const double *X, const int incX, const double beta, double *Y, const int incY))blas_fn(B_DGEMV))(order, TransA, M, N, alpha, A, lda, X, incX, beta, Y, incY);
}

void cblas_dgbmv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE TransA, const int M, const int N, const int KL, const int KU, const double alpha, const double *A, const int lda, const double *X, const int incX, const double beta, double *Y, const int incY)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE TransA, const int M, const int N, const int KL, const int KU, const double alpha, const double *A, const int lda, const double *X, const int incX, const double beta, double *Y, const int incY))blas_fn(B_DGBMV))(order, TransA, M, N, KL, KU, alpha, A, lda, X, incX, beta, Y, incY);
}

void cblas_dtrmv(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const double *A, const int lda, double *X, const int incX)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const double *A, const int lda, double *X, const int incX))blas_fn(B_DTRMV))(order, Uplo, TransA, Diag, N, A, lda, X, incX);
}

void cblas_dtbmv(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const int K, const double *A, const int lda, double *X, const int incX)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const int K, const double *A, const int lda, double *X, const int incX))blas_fn(B_DTBMV))(order, Uplo, TransA, Diag, N, K, A, lda, X, incX);
}

void cblas_dtpmv(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const double *Ap, double *X, const int incX)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const double *Ap, double *X, const int incX))blas_fn(B_DTPMV))(order, Uplo, TransA, Diag, N, Ap, X, incX);
}

void cblas_dtrsv(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const double *A, const int lda, double *X, const int incX)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const double *A, const int lda, double *X, const int incX))blas_fn(B_DTRSV))(order, Uplo, TransA, Diag, N, A, lda, X, incX);
}

void cblas_dtbsv(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const int K, const double *A, const int lda, double *X, const int incX)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const int K, const double *A, const int lda, double *X, const int incX))blas_fn(B_DTBSV))(order, Uplo, TransA, Diag, N, K, A, lda, X, incX);
}

void cblas_dtpsv(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const double *Ap, double *X, const int incX)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int N, const double *Ap, double *X, const int incX))blas_fn(B_DTPSV))(order, Uplo, TransA, Diag, N, Ap, X, incX);
}

void cblas_dsymv(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *A, const int lda, const double *X, const int incX, const double beta, double *Y, const int incY)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *A, const int lda, const double *X, const int incX, const double beta, double *Y, const int incY))blas_fn(B_DSYMV))(order, Uplo, N, alpha, A, lda, X, incX, beta, Y, incY);
}

void cblas_dsbmv(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const int K, const double alpha, const double *A, const int lda, const double *X, const int incX, const double beta, double *Y, const int incY)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const int K, const double alpha, const double *A, const int lda, const double *X, const int incX, const double beta, double *Y, const int incY))blas_fn(B_DSBMV))(order, Uplo, N, K, alpha, A, lda, X, incX, beta, Y, incY);
}

void cblas_dspmv(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *Ap, const double *X, const int incX, const double beta, double *Y, const int incY)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *Ap, const double *X, const int incX, const double beta, double *Y, const int incY))blas_fn(B_DSPMV))(order, Uplo, N, alpha, Ap, X, incX, beta, Y, incY);
}

void cblas_dger(const enum CBLAS_ORDER order, const int M, const int N, const double alpha, const double *X, const int incX, const double *Y, const int incY, double *A, const int lda)
{
    ((void(*)(const enum CBLAS_ORDER order, const int M, const int N, const double alpha, const double *X, const int incX, const double *Y, const int incY, double *A, const int lda))blas_fn(B_DGER))(order, M, N, alpha, X, incX, Y, incY, A, lda);
}

void cblas_dsyr(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *X, const int incX, double *A, const int lda)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *X, const int incX, double *A, const int lda))blas_fn(B_DSYR))(order, Uplo, N, alpha, X, incX, A, lda);
}

void cblas_dspr(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *X, const int incX, double *Ap)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *X, const int incX, double *Ap))blas_fn(B_DSPR))(order, Uplo, N, alpha, X, incX, Ap);
}

void cblas_dsyr2(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *X, const int incX, const double *Y, const int incY, double *A, const int lda)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *X, const int incX, const double *Y, const int incY, double *A, const int lda))blas_fn(B_DSYR2))(order, Uplo, N, alpha, X, incX, Y, incY, A, lda);
}

void cblas_dspr2(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *X, const int incX, const double *Y, const int incY, double *A)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha, const double *X, const int incX, const double *Y, const int incY, double *A))blas_fn(B_DSPR2))(order, Uplo, N, alpha, X, incX, Y, incY, A);
}

void cblas_dgemm(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_TRANSPOSE TransB, const int M, const int N, const int K, const double alpha, const double *A, const int lda, const double *B, const int ldb, const double beta, double *C, const int ldc)
{
    ((void(*)(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_TRANSPOSE TransB, const int M, const int N, const int K, const double alpha, const double *A, const int lda, const double *B, const int ldb, const double beta, double *C, const int ldc))blas_fn(B_DGEMM))(Order, TransA, TransB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void cblas_dsymm(const enum CBLAS_ORDER Order, const enum CBLAS_SIDE Side, const enum CBLAS_UPLO Uplo, const int M, const int N, const double alpha, const double *A, const int lda, const double *B, const int ldb, const double beta, double *C, const int ldc)
{
    ((void(*)(const enum CBLAS_ORDER Order, const enum CBLAS_SIDE Side, const enum CBLAS_UPLO Uplo, const int M, const int N, const double alpha, const double *A, const int lda, const double *B, const int ldb, const double beta, double *C, const int ldc))blas_fn(B_DSYMM))(Order, Side, Uplo, M, N, alpha, A, lda, B, ldb, beta, C, ldc);
}

void cblas_dsyrk(const enum CBLAS_ORDER Order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE Trans, const int N, const int K, const double alpha, const double *A, const int lda, const double beta, double *C, const int ldc)
{
    ((void(*)(const enum CBLAS_ORDER Order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE Trans, const int N, const int K, const double alpha, const double *A, const int lda, const double beta, double *C, const int ldc))blas_fn(B_DSYRK))(Order, Uplo, Trans, N, K, alpha, A, lda, beta, C, ldc);
}

void cblas_dsyr2k(const enum CBLAS_ORDER Order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE Trans, const int N, const int K, const double alpha, const double *A, const int lda, const double *B, const int ldb, const double beta, double *C, const int ldc)
{
    ((void(*)(const enum CBLAS_ORDER Order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE Trans, const int N, const int K, const double alpha, const double *A, const int lda, const double *B, const int ldb, const double beta, double *C, const int ldc))blas_fn(B_DSYR2K))(Order, Uplo, Trans, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void cblas_dtrmm(const enum CBLAS_ORDER Order, const enum CBLAS_SIDE Side, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int M, const int N, const double alpha, const double *A, const int lda, double *B, const int ldb)
{
    ((void(*)(const enum CBLAS_ORDER Order, const enum CBLAS_SIDE Side, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int M, const int N, const double alpha, const double *A, const int lda, double *B, const int ldb))blas_fn(B_DTRMM))(Order, Side, Uplo, TransA, Diag, M, N, alpha, A, lda, B, ldb);
}

void cblas_dtrsm(const enum CBLAS_ORDER Order, const enum CBLAS_SIDE Side, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int M, const int N, const double alpha, const double *A, const int lda, double *B, const int ldb)
{
    ((void(*)(const enum CBLAS_ORDER Order, const enum CBLAS_SIDE Side, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_DIAG Diag, const int M, const int N, const double alpha, const double *A, const int lda, double *B, const int ldb))blas_fn(B_DTRSM))(Order, Side, Uplo, TransA, Diag, M, N, alpha, A, lda, B, ldb);
}

void cblas_ssymv(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const float alpha, const float *A, const int lda, const float *X, const int incX, const float beta, float *Y, const int incY)
{
    ((void(*)(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const float alpha, const float *A, const int lda, const float *X, const int incX, const float beta, float *Y, const int incY))blas_fn(B_SSYMV))(order, Uplo, N, alpha, A, lda, X, incX, beta, Y, incY);
}
