/* LP and MPS files through GLPK's readers and writers. */
#include "glpk_common.h"
#include "../core/atomic_file.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The MPS format has no portable way to say "maximise": GLPK's reader
 * rejects the OBJSENSE section and the cbc command line ignores it. So
 * folio writes a maximisation as the minimisation of the negated
 * objective, which every reader takes the same way, and says so in this
 * comment, by which its own reader restores the model (docs/dsl.md). */
static const char negated_marker[] = "* folio: maximise; the objective below is negated, so readers minimise it";

/* The column that carries the objective constant in written files (see
 * write_op), and the comment by which an MPS file names it. */
#define OBJCONST_COLUMN "_objconst"
static const char objconst_marker[] = "* folio: the objective constant is the column ";

/* Inserts the lines text (each ending in a newline) before the NAME line
 * of the file tmp. */
static int add_marker(const char *tmp, const char *text)
{
    FILE *f = fopen(tmp, "r");
    if (!f) return -1;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = 2 * (len + got + 1);
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); fclose(f); return -1; }
            buf = nb;
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    fclose(f);
    if (!buf) return -1;
    buf[len] = '\0';
    char *name = !strncmp(buf, "NAME", 4) ? buf : strstr(buf, "\nNAME");
    f = name ? fopen(tmp, "w") : NULL;
    if (!f) { free(buf); return -1; }
    size_t head = name == buf ? 0 : (size_t)(name - buf) + 1;
    int bad = fwrite(buf, 1, head, f) != head || fputs(text, f) < 0 ||
              fwrite(buf + head, 1, len - head, f) != len - head;
    bad |= fclose(f) != 0;
    free(buf);
    return bad ? -1 : 0;
}

/* What the comments before an MPS file's first section say: whether it
 * carries negated_marker (*negated), and the name of the column that holds
 * the objective constant (objconst, "" when none). -1 when the file cannot
 * be read. */
static int read_markers(const char *path, int *negated, char *objconst, size_t len)
{
    *negated = 0;
    objconst[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[4096];
    while (fgets(line, sizeof line, f) && line[0] == '*') {
        if (!strncmp(line, negated_marker, sizeof negated_marker - 1)) *negated = 1;
        if (!strncmp(line, objconst_marker, sizeof objconst_marker - 1)) {
            const char *name = line + sizeof objconst_marker - 1;
            size_t n = strcspn(name, ", \r\n");
            snprintf(objconst, len, "%.*s", (int)n, name);
        }
    }
    fclose(f);
    return 0;
}

/* Copies an MPS file without its OBJSENSE section into a temporary file;
 * *maximize tells the sense found. Returns 1 when a copy was made (its
 * name in tmp), 0 when the file has no such section, -1 on error. */
static int strip_objsense(const char *path, char *tmp, size_t tmplen, int *maximize)
{
    FILE *in = fopen(path, "r");
    if (!in) return -1;
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, in))
        if (!strncmp(line, "OBJSENSE", 8)) { found = 1; break; }
    if (!found) { fclose(in); return 0; }
    rewind(in);
    snprintf(tmp, tmplen, "/tmp/folio-mps-XXXXXX");
    int fd = mkstemp(tmp);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out) { if (fd >= 0) { close(fd); unlink(tmp); } fclose(in); return -1; }
    int in_section = 0;
    *maximize = 0;
    while (fgets(line, sizeof line, in)) {
        /* the section's lines become comments, so line numbers still match */
        if (!strncmp(line, "OBJSENSE", 8)) {
            /* free form may put the sense on the same line */
            if (strstr(line + 8, "MAX")) *maximize = 1;
            in_section = 1;
            fputs("*\n", out);
            continue;
        }
        if (in_section && (line[0] == ' ' || line[0] == '\t')) {
            if (strstr(line, "MAX")) *maximize = 1;
            fputs("*\n", out);
            continue;
        }
        in_section = 0;
        fputs(line, out);
    }
    fclose(in);
    if (fclose(out) != 0) { unlink(tmp); return -1; }
    return 1;
}

typedef struct write_job {
    folio_model *m;
    const char *path, *tmp;
    folio_file_format fmt;
    char objconst[64];   /* the name of the constant's column, or "" */
} write_job;

static folio_error write_op(glp_prob *P, void *ud)
{
    write_job *j = ud;
    if (j->m->obj_const != 0.0) {
        /* GLPK's LP writer keeps the objective constant only as a comment,
         * and readers of MPS disagree on the sign of the objective row's
         * right-hand side (GLPK reads it as the constant, COIN-OR and
         * HiGHS as its negation): carry it as a column fixed at 1 */
        /* a name no column of the model has */
        snprintf(j->objconst, sizeof j->objconst, "%s", OBJCONST_COLUMN);
        for (int k = 2; folio_model_find_col(j->m, j->objconst) >= 0; k++)
            snprintf(j->objconst, sizeof j->objconst, "%s%d", OBJCONST_COLUMN, k);
        int c = glp_add_cols(P, 1);
        glp_set_col_name(P, c, j->objconst);
        glp_set_col_bnds(P, c, GLP_FX, 1.0, 1.0);
        glp_set_obj_coef(P, c, j->m->obj_const);
        glp_set_obj_coef(P, 0, 0.0);
    }
    if (j->fmt == FOLIO_FORMAT_MPS && glp_get_obj_dir(P) == GLP_MAX) {
        /* see negated_marker */
        int n = glp_get_num_cols(P);
        for (int c = 1; c <= n; c++) glp_set_obj_coef(P, c, -glp_get_obj_coef(P, c));
        glp_set_obj_dir(P, GLP_MIN);
    }
    int ret = j->fmt == FOLIO_FORMAT_LP ? glp_write_lp(P, NULL, j->tmp)
                                        : glp_write_mps(P, GLP_MPS_FILE, NULL, j->tmp);
    if (ret)
        return folio_model_fail(j->m, FOLIO_ERR_IO, "cannot write '%s': %s", j->path,
                                folio_glpk_last_message());
    return FOLIO_OK;
}

folio_error folio_model_write(folio_model *m, const char *path, folio_file_format fmt)
{
    const char *what = fmt == FOLIO_FORMAT_LP ? "LP" : "MPS";
    if (m->nq || m->ncones)
        return folio_model_fail(m, FOLIO_ERR_UNSUPPORTED,
                                "cannot write model '%s' as %s: it has quadratic terms or cones, "
                                "which folio's LP/MPS writers do not support yet", m->name, what);
    if (fmt == FOLIO_FORMAT_LP && m->ncols == 0)   /* GLPK writes an LP file no reader takes (fuzz_lp) */
        return folio_model_fail(m, FOLIO_ERR_UNSUPPORTED, "cannot write model '%s' as LP: it has no variables "
                                "(write it as .mps)", m->name);
    if (fmt == FOLIO_FORMAT_MPS && m->nrows == 0)
        for (size_t j = 0; j < m->ncols; j++)
            if (m->obj[j] == 0.0)   /* GLPK's MPS writer asserts on such a column */
                return folio_model_fail(m, FOLIO_ERR_UNSUPPORTED,
                                        "cannot write model '%s' as MPS: variable '%s' appears in no "
                                        "constraint and not in the objective, and there are no "
                                        "constraints (write it as .lp)",
                                        m->name, FOLIO_NAME(m, m->col_name[j]));
    /* In free MPS a field that starts with '$' is a comment: GLPK would
     * write the name and its reader (any reader) drop it */
    for (size_t k = 0; fmt == FOLIO_FORMAT_MPS && k < m->ncols + m->nrows; k++) {
        const char *name = FOLIO_NAME(m, k < m->ncols ? m->col_name[k] : m->row_name[k - m->ncols]);
        if (name[0] == '$')
            return folio_model_fail(m, FOLIO_ERR_UNSUPPORTED,
                                    "cannot write model '%s' as MPS: %s '%s' starts with '$', which MPS "
                                    "readers take for a comment (rename it, or write it as .lp)",
                                    m->name, k < m->ncols ? "variable" : "constraint", name);
    }
    char tmp[4096], err[512];
    if (folio_atomic_begin(path, tmp, sizeof tmp, err, sizeof err))
        return folio_model_fail(m, FOLIO_ERR_IO, "%s", err);
    write_job job = { m, path, tmp, fmt, "" };
    folio_error e = folio_glpk_run(m, 0, fmt == FOLIO_FORMAT_LP ? GLPK_NAMES_LP : GLPK_NAMES_EXACT,
                                   write_op, &job);
    if (e != FOLIO_OK) {
        folio_atomic_abort(tmp);
        return e;
    }
    char marks[512] = "";
    if (fmt == FOLIO_FORMAT_MPS && m->sense == FOLIO_MAXIMIZE)
        snprintf(marks, sizeof marks, "%s\n", negated_marker);
    if (fmt == FOLIO_FORMAT_MPS && job.objconst[0])
        snprintf(marks + strlen(marks), sizeof marks - strlen(marks), "%s%s, fixed at 1\n", objconst_marker,
                 job.objconst);
    if (marks[0] && add_marker(tmp, marks)) {
        folio_atomic_abort(tmp);
        return folio_model_fail(m, FOLIO_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    }
    if (folio_atomic_commit(tmp, path, err, sizeof err))
        return folio_model_fail(m, FOLIO_ERR_IO, "%s", err);
    return FOLIO_OK;
}

static double lower_of(int type, double lb)
{
    return (type == GLP_LO || type == GLP_DB || type == GLP_FX) ? lb : -HUGE_VAL;
}

static double upper_of(int type, double ub)
{
    return (type == GLP_UP || type == GLP_DB || type == GLP_FX) ? ub : HUGE_VAL;
}

/* Copies a GLPK problem into a new folio model; NULL on failure (err set). */
static folio_model *from_glpk(glp_prob *P, const char *path, const char *objconst, char *err, size_t errlen)
{
    /* LP files carry no name: use the file's base name without extension */
    const char *pname = glp_get_prob_name(P);
    char base[256];
    if (!pname || !*pname) {
        const char *slash = strrchr(path, '/');
        snprintf(base, sizeof base, "%s", slash ? slash + 1 : path);
        char *dot = strrchr(base, '.');
        if (dot && dot != base) *dot = '\0';
        pname = base;
    }
    folio_model *m = folio_model_new(pname);
    int n = glp_get_num_cols(P), r = glp_get_num_rows(P);
    int *ind = malloc((size_t)(n + 1) * sizeof *ind);
    double *val = malloc((size_t)(n + 1) * sizeof *val);
    if (!m || !ind || !val) goto nomem;
    /* the column an MPS file names as the objective constant's (fixed at
     * 1, in no row) is the constant again; an LP file keeps it as a
     * column, as GLPK's LP writer has always made one */
    glp_create_index(P);
    int cc = objconst && objconst[0] ? glp_find_col(P, objconst) : 0;
    double constant = glp_get_obj_coef(P, 0);
    if (cc && glp_get_col_type(P, cc) == GLP_FX && glp_get_col_lb(P, cc) == 1.0 &&
        glp_get_col_kind(P, cc) == GLP_CV && glp_get_mat_col(P, cc, NULL, NULL) == 0)
        constant += glp_get_obj_coef(P, cc);
    else
        cc = 0;
    for (int j = 1; j <= n; j++) {
        if (j == cc) continue;
        int type = glp_get_col_type(P, j), kind = glp_get_col_kind(P, j);
        folio_kind k = kind == GLP_BV ? FOLIO_BINARY : kind == GLP_IV ? FOLIO_INTEGER : FOLIO_CONTINUOUS;
        if (folio_model_add_col(m, glp_get_col_name(P, j), lower_of(type, glp_get_col_lb(P, j)),
                                upper_of(type, glp_get_col_ub(P, j)), k) < 0)
            goto bad;
    }
    for (int i = 1; i <= r; i++) {
        /* GLPK's LP reader names an unnamed constraint r.<line>, which may
         * be another constraint's name: one of the two is not found as itself */
        const char *rname = glp_get_row_name(P, i);
        if (rname && glp_find_row(P, rname) != i) {
            snprintf(err, errlen, "%s: constraint name '%s' is used twice (GLPK calls an unnamed constraint "
                     "r.<its line>)", path, rname);
            goto out;
        }
        int type = glp_get_row_type(P, i), len = glp_get_mat_row(P, i, ind, val);
        for (int k = 1; k <= len; k++) ind[k] -= cc && ind[k] > cc ? 2 : 1;
        if (folio_model_add_row(m, glp_get_row_name(P, i), (size_t)len, ind + 1, val + 1,
                                lower_of(type, glp_get_row_lb(P, i)),
                                upper_of(type, glp_get_row_ub(P, i))) < 0)
            goto bad;
    }
    int cnt = 0;
    for (int j = 1; j <= n; j++) {
        double c = glp_get_obj_coef(P, j);
        if (c != 0.0 && j != cc) { ind[cnt] = cc && j > cc ? j - 2 : j - 1; val[cnt] = c; cnt++; }
    }
    if (folio_model_set_objective(m, glp_get_obj_dir(P) == GLP_MAX ? FOLIO_MAXIMIZE : FOLIO_MINIMIZE,
                                  constant, (size_t)cnt, ind, val, 0, NULL, NULL, NULL))
        goto bad;
    free(ind);
    free(val);
    return m;
nomem:
    snprintf(err, errlen, "out of memory reading '%s'", path);
    goto out;
bad:
    snprintf(err, errlen, "%s: %s", path, folio_model_last_error(m));
out:
    free(ind);
    free(val);
    folio_model_free(m);
    return NULL;
}

static folio_model *read_with_glpk(const char *path, const char *file, folio_file_format fmt, const char *objconst,
                                   char *err, size_t errlen);

folio_model *folio_model_read(const char *path, folio_file_format fmt, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    fclose(f);
    char stripped[64];
    int maximize = 0, copy = 0;
    if (fmt == FOLIO_FORMAT_MPS) {
        copy = strip_objsense(path, stripped, sizeof stripped, &maximize);
        if (copy < 0) {
            snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
            return NULL;
        }
    }
    int negated = 0;
    char objconst[64] = "";
    if (fmt == FOLIO_FORMAT_MPS && !copy) read_markers(path, &negated, objconst, sizeof objconst);
    folio_model *m = read_with_glpk(path, copy ? stripped : path, fmt, objconst, err, errlen);
    if (copy) unlink(stripped);
    if (m && maximize) m->sense = FOLIO_MAXIMIZE;
    if (m && negated && m->sense == FOLIO_MINIMIZE) {
        /* a maximisation folio wrote as the minimisation of its negation */
        for (size_t j = 0; j < m->ncols; j++) m->obj[j] = -m->obj[j];
        m->obj_const = -m->obj_const;
        m->sense = FOLIO_MAXIMIZE;
    }
    return m;
}

/* Line n (1-based) of file, without its line end, into buf; 0 if none. */
static int file_line(const char *file, long n, char *buf, size_t len)
{
    FILE *f = fopen(file, "r");
    if (!f) return 0;
    long at = 1;
    int c, found = 0;
    size_t k = 0;
    while (at < n && (c = getc(f)) != EOF)
        if (c == '\n') at++;
    if (at == n) {
        found = 1;
        while ((c = getc(f)) != EOF && c != '\n' && c != '\r')
            if (k + 1 < len) buf[k++] = (char)c;
    }
    buf[k] = '\0';
    fclose(f);
    return found;
}

/* The characters of a CPLEX LP name (GLPK's reader), and those a name may
 * start with (not a digit or '.'). */
static int lp_name_char(int c) { return isalnum(c) || (c && strchr("!\"#$%&()/,.;?@_`'{}|~", c)); }
static int lp_name_start(int c) { return lp_name_char(c) && !isdigit(c) && c != '.'; }

/* In line, a word inf or infinity (any case) used as a coefficient, that
 * is followed by a name: that text ("inf x") into out; 0 if none. */
static int find_inf_coefficient(const char *line, char *out, size_t len)
{
    for (size_t i = 0; line[i]; i++) {
        if ((i > 0 && lp_name_char((unsigned char)line[i - 1])) || strncasecmp(line + i, "inf", 3)) continue;
        size_t j = i + 3;
        if (!strncasecmp(line + j, "inity", 5)) j += 5;
        if (lp_name_char((unsigned char)line[j])) continue;
        size_t k = j;
        while (line[k] == ' ' || line[k] == '\t') k++;
        if (k == j || !lp_name_start((unsigned char)line[k])) continue;
        while (lp_name_char((unsigned char)line[k])) k++;
        snprintf(out, len, "%.*s", (int)(k - i), line + i);
        return 1;
    }
    return 0;
}

/* Why reading file (shown as path) failed, or why a read that GLPK
 * accepted cannot stand (a file cut short), as "PATH:LINE: ..." in err;
 * 0 when a read that succeeded is fine. GLPK warns of a missing final
 * newline and of an LP file's missing End line, and goes on: a file that
 * ends mid-line, or without its End line, is truncated or incomplete. */
static int read_message(const char *path, const char *file, folio_file_format fmt,
                        const folio_glpk_read_log *log, int failed, char *err, size_t errlen)
{
    const char *etext = "";
    long eline = 0;
    if (log->error[0]) {
        eline = strtol(log->error, NULL, 10);
        const char *colon = strchr(log->error, ':');
        etext = colon ? colon + 1 : log->error;
        while (*etext == ' ') etext++;
    }
    if (log->noeol[0] && (failed || log->noend[0])) {
        snprintf(err, errlen, "%s:%ld: the file ends in the middle of a line: it is truncated or incomplete%s%s%s",
                 path, strtol(log->noeol, NULL, 10), etext[0] ? " (GLPK: " : "", etext, etext[0] ? ")" : "");
        return 1;
    }
    if (!failed) {
        if (fmt != FOLIO_FORMAT_LP || !log->noend[0]) return 0;
        snprintf(err, errlen, "%s:%ld: the file ends without its 'End' line: it is truncated or incomplete", path,
                 strtol(log->noend, NULL, 10));
        return 1;
    }
    if (!log->error[0]) {
        if (fmt == FOLIO_FORMAT_MPS) snprintf(err, errlen, "%s: cannot parse MPS file", path);
        else snprintf(err, errlen, "%s: %s", path, folio_glpk_last_message());
        return 1;
    }
    if (!strcmp(etext, "unexpected end of file")) {
        snprintf(err, errlen, "%s:%ld: the file ends before %s: it is truncated or incomplete", path, eline,
                 fmt == FOLIO_FORMAT_MPS ? "ENDATA" : "its 'End' line");
        return 1;
    }
    int no_section = !strcmp(etext, "constraints section missing");
    if (fmt == FOLIO_FORMAT_LP && (no_section || !strcmp(etext, "missing constraint sense"))) {
        char line[512], inf[128];
        if (file_line(file, eline, line, sizeof line) && find_inf_coefficient(line, inf, sizeof inf)) {
            snprintf(err, errlen, "%s:%ld: infinite coefficient in '%s': the coefficients of an LP file must be "
                     "finite numbers", path, eline, inf);
            return 1;
        }
        if (no_section) {
            snprintf(err, errlen, "%s:%ld: constraints section missing (expected 'Subject To' after the objective)",
                     path, eline);
            return 1;
        }
    }
    snprintf(err, errlen, "%s:%s", path, log->error);   /* "file:LINE: ..." as the user's path */
    return 1;
}

/* Reads file (shown to the user as path) through GLPK's readers. */
static folio_model *read_with_glpk(const char *path, const char *file, folio_file_format fmt, const char *objconst,
                                   char *err, size_t errlen)
{
    glp_prob *volatile P = NULL;
    jmp_buf jb;
    folio_glpk_begin(&jb, 0);
    if (setjmp(jb)) {
        glp_free_env();
        folio_glpk_end();
        char why[1100];
        snprintf(err, errlen, "%s: GLPK failed: %s", path, folio_glpk_failure(why, sizeof why));
        return NULL;
    }
    P = glp_create_prob();
    int ret;
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "%s:", file);
    folio_glpk_read_log log;
    if (fmt == FOLIO_FORMAT_LP) {
        ret = glp_read_lp(P, NULL, file);
    } else {
        ret = glp_read_mps(P, GLP_MPS_FILE, NULL, file);
        if (ret) {
            /* not free MPS: try the fixed (column-position) dialect; if
             * that fails too, the free reader's words are the ones to say */
            folio_glpk_read_log_get(prefix, &log);
            glp_erase_prob(P);
            folio_glpk_begin(&jb, 0);
            ret = glp_read_mps(P, GLP_MPS_DECK, NULL, file);
            if (ret) {
                glp_delete_prob(P);
                folio_glpk_end();
                read_message(path, file, fmt, &log, 1, err, errlen);
                return NULL;
            }
        }
    }
    folio_glpk_read_log_get(prefix, &log);
    if (read_message(path, file, fmt, &log, ret != 0, err, errlen)) {
        glp_delete_prob(P);
        folio_glpk_end();
        return NULL;
    }
    folio_model *m = from_glpk(P, path, objconst, err, errlen);
    glp_delete_prob(P);
    folio_glpk_end();
    return m;
}
