/* Atomic file output: write a temp file in the target's directory, fsync it,
 * then rename() it over the target, so readers see either the old file or
 * the complete new one, never a half-written file.
 *
 * Every function that can fail returns 0 on success and -1 on error, and on
 * error fills err (if err != NULL and errlen > 0) with one line such as
 *     cannot write 'out.json': No such file or directory
 * and leaves no temp file behind. No function prints or calls exit().
 *
 * The new file gets the mode of the file it replaces, or 0666 & ~umask when
 * there was none (mkstemp alone would give 0600). Reading the umask briefly
 * sets it, so do not create files from another thread at the same time.
 * A symbolic link at `path` is replaced by the regular file, not followed.
 */
#ifndef FOLIO_ATOMIC_FILE_H
#define FOLIO_ATOMIC_FILE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Extra bytes a temp path needs beyond strlen(path): ".tmp.XXXXXX" + NUL. */
#define FOLIO_ATOMIC_TMP_EXTRA 12

/* Writes len bytes of data to path atomically (temp "<path>.tmp.XXXXXX",
 * fsync, rename, then a best-effort fsync of the directory). */
int folio_atomic_write(const char *path, const void *data, size_t len,
                       char *err, size_t errlen);

/* For writers that only take a file name (GLPK's glp_write_lp, ...):
 * creates an empty temp file next to path and stores its name in tmp_path
 * (tmp_len must be at least strlen(path) + FOLIO_ATOMIC_TMP_EXTRA). The
 * caller writes the file by name, then calls folio_atomic_commit() or
 * folio_atomic_abort(). */
int folio_atomic_begin(const char *path, char *tmp_path, size_t tmp_len,
                       char *err, size_t errlen);

/* fsyncs tmp_path and renames it over path. On failure tmp_path is removed
 * (calling folio_atomic_abort() afterwards is harmless). */
int folio_atomic_commit(const char *tmp_path, const char *path,
                        char *err, size_t errlen);

/* Removes tmp_path; accepts NULL and "". */
void folio_atomic_abort(const char *tmp_path);

#ifdef __cplusplus
}
#endif

#endif
