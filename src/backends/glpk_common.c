/* Model -> GLPK problem, and the guard around GLPK calls. */
#include "glpk_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jmp_buf *folio_glpk_jump;
static int glpk_verbose;
static char glpk_last[512], glpk_prev[512];
static size_t glpk_last_len;
static int glpk_line_done = 1;
static char glpk_all[8192];      /* everything printed since begin, capped */
static size_t glpk_all_len;

static void on_glpk_error(void *info)
{
    (void)info;
    if (folio_glpk_jump) longjmp(*folio_glpk_jump, 1);
}

/* Keeps the last complete line GLPK printed; echoes when verbose. */
static int on_glpk_term(void *info, const char *s)
{
    (void)info;
    if (glpk_verbose) fputs(s, stderr);
    size_t n = strlen(s);
    if (glpk_all_len + n + 1 < sizeof glpk_all) {
        memcpy(glpk_all + glpk_all_len, s, n + 1);
        glpk_all_len += n;
    }
    for (; *s; s++) {
        if (glpk_line_done) {
            if (glpk_last_len) memcpy(glpk_prev, glpk_last, sizeof glpk_prev);
            glpk_last_len = 0;
            glpk_line_done = 0;
        }
        if (*s == '\n') {
            glpk_line_done = 1;
            glpk_last[glpk_last_len] = '\0';
            continue;
        }
        if (glpk_last_len + 1 < sizeof glpk_last) glpk_last[glpk_last_len++] = *s;
    }
    if (!glpk_line_done) glpk_last[glpk_last_len] = '\0';
    return 1;
}

void folio_glpk_begin(jmp_buf *jb, int verbose)
{
    folio_glpk_jump = jb;
    glpk_verbose = verbose;
    glpk_last[0] = '\0';
    glpk_prev[0] = '\0';
    glpk_last_len = 0;
    glpk_line_done = 1;
    glpk_all[0] = '\0';
    glpk_all_len = 0;
    glp_error_hook(on_glpk_error, NULL);
    glp_term_hook(on_glpk_term, NULL);
}

void folio_glpk_end(void)
{
    folio_glpk_jump = NULL;
}

const char *folio_glpk_last_message(void) { return glpk_last; }

const char *folio_glpk_failure(char *buf, size_t len)
{
    /* GLPK prints what went wrong, then "Error detected in file ..." */
    if (glpk_prev[0]) snprintf(buf, len, "%s (%s)", glpk_prev, glpk_last);
    else snprintf(buf, len, "%s", glpk_last);
    return buf;
}

int folio_glpk_find_line(const char *prefix, char *out, size_t outlen)
{
    size_t pl = strlen(prefix);
    for (const char *line = glpk_all; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len >= pl && !strncmp(line, prefix, pl)) {
            snprintf(out, outlen, "%.*s", (int)len, line);
            return 1;
        }
        line += len + (end ? 1 : 0);
    }
    return 0;
}

void folio_glpk_read_log_get(const char *prefix, folio_glpk_read_log *log)
{
    log->error[0] = log->noeol[0] = log->noend[0] = '\0';
    size_t pl = strlen(prefix);
    for (const char *line = glpk_all; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len >= pl && !strncmp(line, prefix, pl)) {
            const char *rest = line + pl;
            int n = (int)(len - pl);
            const char *colon = memchr(rest, ':', (size_t)n);
            const char *text = colon ? colon + 1 : rest;
            while (*text == ' ') text++;
            char *into = NULL;
            static const char noeol[] = "warning: missing final end of line",
                              noend[] = "warning: keyword 'end' missing";
            if (!strncmp(text, noeol, sizeof noeol - 1)) into = log->noeol;
            else if (!strncmp(text, noend, sizeof noend - 1)) into = log->noend;
            else if (strncmp(text, "warning:", 8) && !log->error[0]) into = log->error;
            if (into && !into[0]) snprintf(into, sizeof log->error, "%.*s", n, rest);
        }
        line += len + (end ? 1 : 0);
    }
}

static void set_bounds(glp_prob *P, int is_row, int k, double lo, double hi)
{
    int type;
    if (isinf(lo) && isinf(hi)) type = GLP_FR;
    else if (isinf(hi)) type = GLP_LO;
    else if (isinf(lo)) type = GLP_UP;
    else if (lo == hi) type = GLP_FX;
    else type = GLP_DB;
    double l = isinf(lo) ? 0.0 : lo, u = isinf(hi) ? 0.0 : hi;
    if (is_row) glp_set_row_bnds(P, k, type, l, u);
    else glp_set_col_bnds(P, k, type, l, u);
}

static const char *lp_name(const char *name, char *buf)
{
    size_t i = 0;
    for (; name[i] && i < 255; i++) {
        char c = name[i];
        buf[i] = c == '[' ? '(' : c == ']' ? ')' : c == ' ' ? '_' : c;
    }
    buf[i] = '\0';
    return buf;
}

/* GLPK refuses control characters in the problem name (any model name is
 * accepted by folio_model_new): they become '_'. */
static const char *prob_name(const char *name, char *buf)
{
    lp_name(name, buf);
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 32 || *p == 127) *p = '_';
    return buf;
}

glp_prob *folio_glpk_build(const folio_model *m, int names)
{
    char buf[256];
    glp_prob *P = glp_create_prob();
    glp_set_prob_name(P, prob_name(m->name, buf));
    glp_set_obj_name(P, "obj");
    glp_set_obj_dir(P, m->sense == FOLIO_MAXIMIZE ? GLP_MAX : GLP_MIN);
    glp_set_obj_coef(P, 0, m->obj_const);
    int n = (int)m->ncols, r = (int)m->nrows;
    if (n) glp_add_cols(P, n);
    if (r) glp_add_rows(P, r);
    for (int j = 0; j < n; j++) {
        const char *nm = FOLIO_NAME(m, m->col_name[j]);
        glp_set_col_name(P, j + 1, names == GLPK_NAMES_LP ? lp_name(nm, buf) : nm);
        if (m->kind[j] == FOLIO_BINARY && m->lb[j] == 0.0 && m->ub[j] == 1.0) {
            glp_set_col_kind(P, j + 1, GLP_BV);
        } else {
            if (m->kind[j] != FOLIO_CONTINUOUS) glp_set_col_kind(P, j + 1, GLP_IV);
            set_bounds(P, 0, j + 1, m->lb[j], m->ub[j]);
        }
        if (m->obj[j] != 0.0) glp_set_obj_coef(P, j + 1, m->obj[j]);
    }
    for (int i = 0; i < r; i++) {
        const char *nm = FOLIO_NAME(m, m->row_name[i]);
        glp_set_row_name(P, i + 1, names == GLPK_NAMES_LP ? lp_name(nm, buf) : nm);
        set_bounds(P, 1, i + 1, m->lo[i], m->hi[i]);
    }
    size_t nz = m->nz_len;
    if (nz) {
        if (nz > (size_t)INT32_MAX - 1) {
            glp_delete_prob(P);
            return NULL;
        }
        int *ia = malloc((nz + 1) * sizeof *ia), *ja = malloc((nz + 1) * sizeof *ja);
        double *ar = malloc((nz + 1) * sizeof *ar);
        if (!ia || !ja || !ar) {
            free(ia); free(ja); free(ar);
            glp_delete_prob(P);
            return NULL;
        }
        for (int i = 0; i < r; i++)
            for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) {
                ia[k + 1] = i + 1;
                ja[k + 1] = m->nz_idx[k] + 1;
                ar[k + 1] = m->nz_val[k];
            }
        glp_load_matrix(P, (int)nz, ia, ja, ar);
        free(ia); free(ja); free(ar);
    }
    return P;
}

folio_error folio_glpk_run(folio_model *m, int verbose, int names, folio_glpk_op op, void *ud)
{
    glp_prob *volatile P = NULL;
    jmp_buf jb;
    folio_glpk_begin(&jb, verbose);
    if (setjmp(jb)) {
        glp_free_env();   /* frees every GLPK object, P included */
        folio_glpk_end();
        char why[1100];
        return folio_model_fail(m, FOLIO_ERR_BACKEND, "GLPK failed: %s", folio_glpk_failure(why, sizeof why));
    }
    P = folio_glpk_build(m, names);
    if (!P) {
        folio_glpk_end();
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory loading model '%s' into GLPK", m->name);
    }
    folio_error e = op(P, ud);
    glp_delete_prob(P);
    folio_glpk_end();
    return e;
}
