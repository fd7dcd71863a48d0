/* Atomic file output (see atomic_file.h). POSIX only. */
#define _POSIX_C_SOURCE 200809L

#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static void set_err(char *err, size_t errlen, const char *path, int errnum)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errnum));
}

/* Builds "<path>.tmp.XXXXXX" into buf; -1 with errno set when it does not fit. */
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
    memcpy(buf + n, ".tmp.XXXXXX", FOLIO_ATOMIC_TMP_EXTRA); /* includes NUL */
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
