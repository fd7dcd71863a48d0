/* Atomic output to something that is not a regular file (src/core/
 * atomic_file.c): a device, a FIFO or a terminal is written in place, since
 * renaming a temp file over it would replace the device itself (as root,
 * `--json /dev/null` turned /dev/null into a regular file). The target
 * here is a link to /dev/null in a temp folder, so that a regression
 * replaces the link, never /dev/null. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"

typedef struct {
    char dir[64];
    char link[128];
    char journal[128];   /* a set's journal, in the same folder */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/folio_atomic_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->link, sizeof f->link, "%s/out.json", f->dir);
    snprintf(f->journal, sizeof f->journal, "%s/.journal", f->dir);
    if (symlink("/dev/null", f->link) != 0) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *e;
    char p[400];
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* the link still points at the character device, and nothing else (no
 * temp file) is left in the folder */
static void assert_link_intact(const fixture *f)
{
    struct stat ls, st;
    assert_int_equal(lstat(f->link, &ls), 0);
    assert_true(S_ISLNK(ls.st_mode));
    assert_int_equal(stat(f->link, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    int others = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && strcmp(e->d_name, "out.json") != 0) others++;
    closedir(d);
    assert_int_equal(others, 0);
}

static void test_write_to_device_in_place(void **state)
{
    fixture *f = *state;
    char err[256] = "";
    assert_int_equal(folio_atomic_write(f->link, "{}\n", 3, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_link_intact(f);
}

static void test_write_set_with_device(void **state)
{
    fixture *f = *state;
    char reg[160], err[256] = "";
    snprintf(reg, sizeof reg, "%s/report.html", f->dir);
    folio_atomic_file files[2] = { { f->link, "{}\n", 3, 0 }, { reg, "<p>\n", 4, 0 } };
    assert_int_equal(folio_atomic_write_set(files, 2, f->journal, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(reg, &st), 0);   /* the regular file of the set is written */
    assert_true(S_ISREG(st.st_mode) && st.st_size == 4);
    unlink(reg);
    assert_link_intact(f);
}

static void test_write_set_removal_leaves_fifo(void **state)
{
    fixture *f = *state;
    char fifo[160], err[256] = "";
    snprintf(fifo, sizeof fifo, "%s/stale.json", f->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* a stale output that a failed run clears: when it is a FIFO (or a
     * device), it is not a file of the set and stays */
    folio_atomic_file files[1] = { { fifo, NULL, 0, 1 } };
    assert_int_equal(folio_atomic_write_set(files, 1, f->journal, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_to_device_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_set_with_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_set_removal_leaves_fifo, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
