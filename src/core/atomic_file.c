/* Atomic file output (see atomic_file.h). POSIX only. */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700   /* realpath */

#include "atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void set_err(char *err, size_t errlen, const char *path, int errnum)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errnum));
}

/* Builds "<path>.tmp.<pid>.XXXXXX" into buf; -1 with errno set when it
 * does not fit. */
static int make_template(const char *path, char *buf, size_t buflen)
{
    size_t n = strlen(path);
    if (n == 0) {
        errno = ENOENT;
        return -1;
    }
    if (buf == NULL || buflen < n + FOLIO_ATOMIC_TMP_EXTRA) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n);
    snprintf(buf + n, FOLIO_ATOMIC_TMP_EXTRA, ".tmp.%ld.XXXXXX", (long)getpid());
    return 0;
}

/* The mode the finished file should get. */
static mode_t target_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        return st.st_mode & 07777;
    mode_t mask = umask(022);
    umask(mask);
    return (mode_t)(0666 & ~mask);
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Whether path names something other than a regular file or a folder (a
 * device such as /dev/null, a FIFO, a terminal, /dev/stdout's target):
 * that is written in place, since renaming a file over it would replace
 * the device itself (as root, /dev/null became a regular file). */
static char *dir_of(const char *path);
static int is_special(const char *path);

int folio_atomic_in_place(const char *path)
{
    return path != NULL && path[0] != '\0' && is_special(path);
}

static int is_special(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return 1;
    /* /dev/stdout with stdout redirected to a file: a regular file behind
     * a link in /dev (or /proc); no temp file is made, nor a link
     * replaced, there */
    char *d = dir_of(path), *r = d ? realpath(d, NULL) : NULL;
    int sys = r && (strcmp(r, "/dev") == 0 || strncmp(r, "/dev/", 5) == 0 || strncmp(r, "/proc/", 6) == 0);
    free(r);
    free(d);
    return sys;
}

static int write_in_place(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    /* appended: `--json /dev/stdout > out` follows what was printed */
    int fd = open(path, O_WRONLY | O_APPEND | O_NOCTTY);
    if (fd < 0 || write_all(fd, data, len) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        set_err(err, errlen, path, e);
        return -1;
    }
    if (close(fd) != 0) {
        set_err(err, errlen, path, errno);
        return -1;
    }
    return 0;
}

/* Best effort: make the rename itself durable. */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (slash == NULL) {
        dir = NULL;
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        dir = malloc(n + 1);
        if (dir == NULL)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir != NULL ? dir : ".", O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int folio_atomic_write(const char *path, const void *data, size_t len,
                       char *err, size_t errlen)
{
    if (path == NULL)
        path = "";
    if (data == NULL && len > 0) {
        set_err(err, errlen, path, EINVAL);
        return -1;
    }
    if (is_special(path))
        return write_in_place(path, data, len, err, errlen);
    size_t tmplen = strlen(path) + FOLIO_ATOMIC_TMP_EXTRA;
    char *tmp = malloc(tmplen);
    if (tmp == NULL) {
        set_err(err, errlen, path, ENOMEM);
        return -1;
    }
    if (make_template(path, tmp, tmplen) != 0) {
        set_err(err, errlen, path, errno);
        free(tmp);
        return -1;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        set_err(err, errlen, path, errno);
        free(tmp);
        return -1;
    }
    if (write_all(fd, data, len) != 0 || fchmod(fd, target_mode(path)) != 0
        || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        set_err(err, errlen, path, e);
        return -1;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        set_err(err, errlen, path, e);
        return -1;
    }
    free(tmp);
    sync_parent_dir(path);
    return 0;
}

int folio_atomic_begin(const char *path, char *tmp_path, size_t tmp_len,
                       char *err, size_t errlen)
{
    if (path == NULL)
        path = "";
    if (make_template(path, tmp_path, tmp_len) != 0) {
        set_err(err, errlen, path, errno);
        if (tmp_path != NULL && tmp_len > 0)
            tmp_path[0] = '\0';
        return -1;
    }
    /* mode 0600 until commit, so the third-party writer can open it */
    int fd = mkstemp(tmp_path);
    if (fd < 0) {
        set_err(err, errlen, path, errno);
        tmp_path[0] = '\0';
        return -1;
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp_path);
        tmp_path[0] = '\0';
        set_err(err, errlen, path, e);
        return -1;
    }
    return 0;
}

int folio_atomic_commit(const char *tmp_path, const char *path,
                        char *err, size_t errlen)
{
    if (path == NULL)
        path = "";
    if (tmp_path == NULL || tmp_path[0] == '\0') {
        set_err(err, errlen, path, EINVAL);
        return -1;
    }
    int fd = open(tmp_path, O_WRONLY);
    if (fd < 0) {
        set_err(err, errlen, path, errno);
        unlink(tmp_path);
        return -1;
    }
    if (fchmod(fd, target_mode(path)) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp_path);
        set_err(err, errlen, path, e);
        return -1;
    }
    if (close(fd) != 0 || rename(tmp_path, path) != 0) {
        int e = errno;
        unlink(tmp_path);
        set_err(err, errlen, path, e);
        return -1;
    }
    sync_parent_dir(path);
    return 0;
}

void folio_atomic_abort(const char *tmp_path)
{
    if (tmp_path != NULL && tmp_path[0] != '\0')
        (void)unlink(tmp_path);
}

/* ---- sets of files -------------------------------------------------------- */

#define JOURNAL_MAGIC "folio-commit 1\n"

/* The folder part of path ("." when it has none), malloc'd; NULL when out
 * of memory. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Writes data to a new "<path>.tmp.<pid>.XXXXXX" (mode as the target's),
 * fsynced; its name in *tmp (malloc'd). */
static int stage(const char *path, const void *data, size_t len, char **tmp, char *err, size_t errlen)
{
    size_t tlen = strlen(path) + FOLIO_ATOMIC_TMP_EXTRA;
    char *t = malloc(tlen);
    if (t == NULL) {
        set_err(err, errlen, path, ENOMEM);
        return -1;
    }
    if (make_template(path, t, tlen) != 0) {
        set_err(err, errlen, path, errno);
        free(t);
        return -1;
    }
    int fd = mkstemp(t);
    if (fd < 0) {
        set_err(err, errlen, path, errno);
        free(t);
        return -1;
    }
    if (write_all(fd, data, len) != 0 || fchmod(fd, target_mode(path)) != 0 || fsync(fd) != 0
        || close(fd) != 0) {
        int e = errno;
        close(fd);   /* harmless when already closed */
        unlink(t);
        free(t);
        set_err(err, errlen, path, e);
        return -1;
    }
    *tmp = t;
    return 0;
}

/* Appends s and its NUL to the buffer. */
static int put_field(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s) + 1;
    if (*len + n > *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        while (c < *len + n)
            c *= 2;
        char *b = realloc(*buf, c);
        if (b == NULL)
            return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    return 0;
}

/* Renames or removes one entry of a set; 0, or -1 with errno. A removal
 * leaves folders alone. */
static int apply_entry(const char *tmp, const char *path)
{
    if (tmp != NULL)
        return rename(tmp, path);
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
        return 0;   /* a folder or a device is not a file of the set */
    if (unlink(path) != 0 && errno != ENOENT)
        return -1;
    return 0;
}

int folio_atomic_write_set(const folio_atomic_file *files, size_t n, const char *journal,
                           char *err, size_t errlen)
{
    char **tmp = calloc(n ? n : 1, sizeof *tmp);
    char *special = calloc(n ? n : 1, 1);   /* written in place (is_special) */
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;
    if (tmp == NULL || special == NULL) {
        free(tmp);
        free(special);
        set_err(err, errlen, journal, ENOMEM);
        return -1;
    }
    /* 1. stage every new file; a folder where a file should go fails here,
     * before anything changed */
    for (size_t i = 0; i < n; i++) {
        const char *path = files[i].path;
        struct stat st;
        if (path == NULL || path[0] == '\0') {
            set_err(err, errlen, "", ENOENT);
            goto out;
        }
        int isdir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
        if (files[i].remove)
            continue;   /* a folder there is not a file of the set: left alone */
        if (isdir) {
            set_err(err, errlen, path, EISDIR);
            goto out;
        }
        if (files[i].data == NULL && files[i].len > 0) {
            set_err(err, errlen, path, EINVAL);
            goto out;
        }
        if (is_special(path)) {
            special[i] = 1;
            continue;
        }
        if (stage(path, files[i].data, files[i].len, &tmp[i], err, errlen) != 0)
            goto out;
    }
    /* only devices and the like (written in place below): no journal */
    size_t journaled = 0;
    for (size_t i = 0; i < n; i++)
        journaled += !special[i];
    if (journaled == 0) {
        rc = 0;
        goto place;
    }
    if (journal == NULL || journal[0] == '\0' || is_special(journal)) {
        set_err(err, errlen, "(journal)", EINVAL);
        goto out;
    }
    /* 2. the journal: its rename commits the set */
    if (put_field(&buf, &len, &cap, JOURNAL_MAGIC) != 0) {
        set_err(err, errlen, journal, ENOMEM);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (special[i])
            continue;
        if (put_field(&buf, &len, &cap, tmp[i] ? "R" : "D") != 0
            || (tmp[i] && put_field(&buf, &len, &cap, tmp[i]) != 0)
            || put_field(&buf, &len, &cap, files[i].path) != 0) {
            set_err(err, errlen, journal, ENOMEM);
            goto out;
        }
    }
    if (folio_atomic_write(journal, buf, len, err, errlen) != 0)
        goto out;
    /* 3. into place, in order; from here the set is the new one, and a
     * crash is completed by folio_atomic_recover() */
    rc = 0;
place:
    for (size_t i = 0; i < n; i++) {
        if (special[i]) {
            char e2[512];
            if (write_in_place(files[i].path, files[i].data, files[i].len, e2, sizeof e2) != 0) {
                if (rc == 0 && err != NULL && errlen > 0)
                    snprintf(err, errlen, "%s", e2);
                rc = -1;
            }
            continue;
        }
        if (apply_entry(tmp[i], files[i].path) != 0) {
            if (rc == 0)
                set_err(err, errlen, files[i].path, errno);
            rc = -1;
            if (tmp[i])
                unlink(tmp[i]);
        }
        free(tmp[i]);
        tmp[i] = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char *d = dir_of(files[i].path);
        if (d == NULL)
            continue;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++) {
            char *e = dir_of(files[k].path);
            seen = e != NULL && strcmp(d, e) == 0;
            free(e);
        }
        if (!seen)
            sync_dir(d);
        free(d);
    }
    if (journaled) {
        unlink(journal);
        sync_parent_dir(journal);
    }
out:
    for (size_t i = 0; i < n; i++) {
        if (tmp[i]) {
            unlink(tmp[i]);
            free(tmp[i]);
        }
    }
    free(tmp);
    free(special);
    free(buf);
    return rc;
}

/* Whether tmp is "<path>.tmp.<something without a slash>". */
static int is_temp_of(const char *tmp, const char *path)
{
    size_t n = strlen(path);
    return strncmp(tmp, path, n) == 0 && strncmp(tmp + n, ".tmp.", 5) == 0 && tmp[n + 5] != '\0'
           && strchr(tmp + n + 5, '/') == NULL;
}

int folio_atomic_recover(const char *journal, char *err, size_t errlen)
{
    int fd = open(journal, O_RDONLY);
    if (fd < 0)
        return errno == ENOENT ? 0 : (set_err(err, errlen, journal, errno), -1);
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)
        || (buf = malloc((size_t)st.st_size + 1)) == NULL) {
        close(fd);
        unlink(journal);
        return 0;   /* not one of folio's journals: nothing to complete */
    }
    size_t len = 0;
    while (len < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    char *jdir = dir_of(journal);
    size_t magic = sizeof JOURNAL_MAGIC;   /* with its NUL */
    int rc = 0;
    if (jdir != NULL && len >= magic && memcmp(buf, JOURNAL_MAGIC, magic) == 0) {
        size_t at = magic;
        /* fields are NUL-terminated: "R", tmp, path or "D", path */
        while (at < len) {
            const char *kind = buf + at;
            at += strlen(kind) + 1;
            const char *tmp = NULL;
            if (!strcmp(kind, "R") && at < len) {
                tmp = buf + at;
                at += strlen(tmp) + 1;
            } else if (strcmp(kind, "D")) {
                break;
            }
            if (at >= len)
                break;
            const char *path = buf + at;
            at += strlen(path) + 1;
            char *pdir = dir_of(path);
            int ok = tmp ? is_temp_of(tmp, path) : (pdir != NULL && strcmp(pdir, jdir) == 0);
            free(pdir);
            if (!ok)
                continue;   /* only what folio itself would have written */
            if (tmp && access(tmp, F_OK) != 0)
                continue;   /* renamed before the crash */
            if (apply_entry(tmp, path) != 0 && rc == 0) {
                set_err(err, errlen, path, errno);
                rc = -1;
            }
        }
    }
    free(jdir);
    free(buf);
    unlink(journal);
    sync_parent_dir(journal);
    return rc;
}

int folio_atomic_clean(const char *path)
{
    if (path == NULL || path[0] == '\0')
        return 0;
    char *dir = dir_of(path);
    if (dir == NULL)
        return 0;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    int removed = 0;
    if (d == NULL) {
        free(dir);
        return 0;
    }
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strncmp(name, base, blen) != 0 || strncmp(name + blen, ".tmp.", 5) != 0)
            continue;
        const char *rest = name + blen + 5;
        size_t digits = strspn(rest, "0123456789");
        int stale = 0;
        char full[4096];
        if (snprintf(full, sizeof full, "%s/%s", dir, name) >= (int)sizeof full)
            continue;
        if (digits > 0 && digits <= 10 && rest[digits] == '.' && strlen(rest + digits + 1) == 6) {
            long pid = strtol(rest, NULL, 10);
            stale = pid == (long)getpid() || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
        } else if (strlen(rest) == 6 && strspn(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == 6) {
            struct stat st;   /* an older folio's temp file: no process id to ask */
            stale = lstat(full, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > 600;
        }
        if (stale && unlink(full) == 0)
            removed++;
    }
    closedir(d);
    free(dir);
    return removed;
}

int folio_atomic_journal_for(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    int n = slash ? snprintf(out, outlen, "%.*s/.%s.folio-commit", (int)(slash - path), path, slash + 1)
                  : snprintf(out, outlen, ".%s.folio-commit", path);
    if (n < 0 || (size_t)n >= outlen) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}
