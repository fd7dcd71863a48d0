/* Progress and log lines on stderr: plain lines at verbosity 2 when stderr
 * is a file, nothing at verbosity 1 there, one line redrawn in place on a
 * terminal (a pseudo-terminal here), NO_COLOR, the terminal width, nested
 * work, log lines clearing the progress line, and the verbosity levels. */
#define _XOPEN_SOURCE 700   /* posix_openpt and friends */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "folio/folio.h"

/* ---- capturing stderr ------------------------------------------------------ */

typedef struct capture {
    int saved;      /* the real stderr */
    int master;     /* pty master, or -1 when capturing to a file */
    FILE *file;
    char out[16384];
    size_t len;
} capture;

static void capture_file(capture *c)
{
    memset(c, 0, sizeof *c);
    c->master = -1;
    c->file = tmpfile();
    assert_non_null(c->file);
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    assert_true(dup2(fileno(c->file), STDERR_FILENO) >= 0);
}

/* stderr on the slave side of a new pseudo-terminal: isatty(2) holds */
static void capture_tty(capture *c)
{
    memset(c, 0, sizeof *c);
    c->master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(c->master >= 0);
    assert_int_equal(grantpt(c->master), 0);
    assert_int_equal(unlockpt(c->master), 0);
    int slave = open(ptsname(c->master), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    assert_true(dup2(slave, STDERR_FILENO) >= 0);
    close(slave);
    assert_true(isatty(STDERR_FILENO));
}

/* Restores stderr and collects what was written (NUL-terminated). */
static const char *capture_end(capture *c)
{
    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    if (c->file) {
        rewind(c->file);
        c->len = fread(c->out, 1, sizeof c->out - 1, c->file);
        fclose(c->file);
    } else {
        struct pollfd p = { c->master, POLLIN, 0 };
        while (c->len < sizeof c->out - 1 && poll(&p, 1, 100) > 0 && (p.revents & POLLIN)) {
            ssize_t k = read(c->master, c->out + c->len, sizeof c->out - 1 - c->len);
            if (k <= 0) break;
            c->len += (size_t)k;
        }
        close(c->master);
    }
    c->out[c->len] = '\0';
    return c->out;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what)) n++;
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* A piece of work that reports every 10 ms for at least `ms` milliseconds;
 * returns the seconds it took. */
static double work(long ms)
{
    double t0 = folio_now();
    for (long t = 0; t < ms; t += 10) {
        folio_progress("test", "step %ld of many", t / 10);
        sleep_ms(10);
    }
    folio_progress_done();
    return folio_now() - t0;
}

/* Markers "\r\033[K" in [from, to). */
static size_t clears_between(const char *from, const char *to)
{
    size_t n = 0;
    for (const char *p = strstr(from, "\r\033[K"); p && p < to; p = strstr(p + 1, "\r\033[K")) n++;
    return n;
}

static int setup(void **state)
{
    (void)state;
    folio_progress_done();
    unsetenv("NO_COLOR");
    unsetenv("COLUMNS");
    setenv("TERM", "xterm", 1);
    folio_set_verbosity(1);
    return 0;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_verbose_lines_when_not_a_tty(void **state)
{
    (void)state;
    capture c;
    folio_set_verbosity(2);
    capture_file(&c);
    double took = work(700);
    const char *out = capture_end(&c);
    /* shown from 0.25 s into the work, then at most once a second (a
     * loaded machine stretches the 0.7 s of work, and so the bound) */
    size_t lines = count(out, "\n");
    double most = 2 + (took - 0.25) / 1.0;   /* one spare, as before */
    if (lines < 1 || (double)lines > most + 1e-9) fail_msg("%zu lines in %.2f s: '%s'", lines, took, out);
    assert_int_equal(count(out, "test  step "), lines);
    assert_true(strstr(out, " s\n") != NULL);          /* ends with the elapsed time */
    assert_null(strchr(out, '\033'));                  /* no escape codes */
    assert_null(strchr(out, '\r'));
    assert_true(out[c.len - 1] == '\n');
}

static void test_nothing_at_normal_verbosity_when_not_a_tty(void **state)
{
    (void)state;
    capture c;
    capture_file(&c);
    assert_int_equal(folio_verbosity(), 1);
    work(400);
    assert_false(folio_progress_due());
    folio_progress_done();
    folio_log(2, "verbose detail");
    folio_log(1, "normal note %d", 7);
    const char *out = capture_end(&c);
    assert_string_equal(out, "normal note 7\n");
}

static void test_quiet_prints_nothing(void **state)
{
    (void)state;
    capture c;
    folio_set_verbosity(0);
    capture_tty(&c);
    work(400);
    folio_log(1, "a note");
    const char *out = capture_end(&c);
    assert_string_equal(out, "");
    folio_set_verbosity(7);   /* clamped */
    assert_int_equal(folio_verbosity(), 2);
    folio_set_verbosity(-1);
    assert_int_equal(folio_verbosity(), 0);
}

static void test_one_line_redrawn_on_a_terminal(void **state)
{
    (void)state;
    capture c;
    capture_tty(&c);
    double took = work(700);
    const char *out = capture_end(&c);
    size_t draws = count(out, "test");
    /* from 0.25 s, at most 10 a second: a few draws for 70 calls */
    double most = 2 + (took - 0.25) / 0.1;
    if (draws < 2 || (double)draws > most) fail_msg("%zu draws in %.2f s: '%s'", draws, took, out);
    assert_null(strchr(out, '\n'));
    /* every draw starts at column 0 and clears the line; done clears it too */
    assert_int_equal(count(out, "\r\033[K"), draws + 1);
    assert_true(c.len >= 4 && !strcmp(out + c.len - 4, "\r\033[K"));
    assert_non_null(strstr(out, "\033[36mtest\033[0m  step "));   /* the label in colour */
}

static void test_no_color(void **state)
{
    (void)state;
    capture c;
    setenv("NO_COLOR", "1", 1);
    capture_tty(&c);
    work(400);
    const char *out = capture_end(&c);
    assert_non_null(strstr(out, "\r\033[Ktest  step "));
    assert_null(strstr(out, "\033[36m"));
    assert_null(strstr(out, "\033[0m"));
    /* set but empty does not count (no-color.org) */
    setenv("NO_COLOR", "", 1);
    capture_tty(&c);
    work(400);
    out = capture_end(&c);
    assert_non_null(strstr(out, "\033[36m"));
    /* nor does a dumb terminal get colour */
    unsetenv("NO_COLOR");
    setenv("TERM", "dumb", 1);
    capture_tty(&c);
    work(400);
    out = capture_end(&c);
    assert_non_null(strstr(out, "test  step "));
    assert_null(strstr(out, "\033[36m"));
}

/* The line never wraps: it is cut to the terminal's width less one. */
static void test_line_fits_the_terminal(void **state)
{
    (void)state;
    capture c;
    setenv("COLUMNS", "20", 1);   /* a new pty has no size: the fallback */
    setenv("NO_COLOR", "1", 1);
    capture_tty(&c);
    folio_progress_begin();
    sleep_ms(300);
    folio_progress("wide", "%s", "a message far longer than twenty columns\nwith a newline");
    folio_progress_done();
    const char *out = capture_end(&c);
    assert_string_equal(out, "\r\033[Kwide  a message far\r\033[K");   /* 19 columns */
}

/* A quick piece of work inside a longer one leaves the outer line alone;
 * one that drew over it clears it when it ends. */
static void test_nested_work(void **state)
{
    (void)state;
    capture c;
    setenv("NO_COLOR", "1", 1);
    capture_tty(&c);
    for (int i = 0; i < 30; i++) {
        folio_progress("outer", "%d", i);
        sleep_ms(10);
    }
    folio_progress_begin();   /* a quick solve: shows nothing */
    folio_progress("inner", "quick");
    folio_progress_done();
    folio_progress_begin();   /* a long one: draws, then clears */
    for (int i = 0; i < 35; i++) {
        folio_progress("inner", "%d", i);
        sleep_ms(10);
    }
    folio_progress_done();
    folio_progress_done();    /* the outer work */
    const char *out = capture_end(&c);
    assert_null(strstr(out, "quick"));
    const char *first_inner = strstr(out, "inner"), *last_outer = strstr(out, "outer");
    assert_non_null(first_inner);
    assert_non_null(last_outer);
    for (const char *p = last_outer; p && p < first_inner; p = strstr(p + 1, "outer")) last_outer = p;
    /* the quick work cleared nothing: the one marker is the inner draw's own */
    assert_int_equal(clears_between(last_outer, first_inner), 1);
    /* the long work's end cleared its line; the outer end had nothing left */
    const char *last_inner = first_inner;
    for (const char *p = first_inner; p; p = strstr(p + 1, "inner")) last_inner = p;
    assert_int_equal(clears_between(last_inner, out + c.len), 1);
    assert_true(!strcmp(out + c.len - 4, "\r\033[K"));
}

static void test_log_clears_the_progress_line(void **state)
{
    (void)state;
    capture c;
    setenv("NO_COLOR", "1", 1);
    capture_tty(&c);
    folio_progress_begin();
    sleep_ms(300);
    folio_progress("work", "halfway");
    folio_log(1, "a note");
    folio_progress("work", "again");   /* right away: the log line reset the rate limit */
    folio_progress_done();
    const char *out = capture_end(&c);
    /* the pty turns "\n" into "\r\n" */
    const char *note = strstr(out, "\r\033[Ka note\r\n\r\033[Kwork  again  ");
    assert_non_null(note);
    assert_true(!strncmp(out, "\r\033[Kwork  halfway  0.", 21));
    assert_int_equal(count(out, "halfway"), 1);
    assert_true(!strcmp(out + c.len - 4, "\r\033[K"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_verbose_lines_when_not_a_tty, setup),
        cmocka_unit_test_setup(test_nothing_at_normal_verbosity_when_not_a_tty, setup),
        cmocka_unit_test_setup(test_quiet_prints_nothing, setup),
        cmocka_unit_test_setup(test_one_line_redrawn_on_a_terminal, setup),
        cmocka_unit_test_setup(test_no_color, setup),
        cmocka_unit_test_setup(test_line_fits_the_terminal, setup),
        cmocka_unit_test_setup(test_nested_work, setup),
        cmocka_unit_test_setup(test_log_clears_the_progress_line, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
