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
 * folio_atomic_write() and folio_atomic_write_set() write a path that names
 * a device, FIFO or terminal (directly or through a link; /dev/null,
 * /dev/stdout) in place instead: renaming over it would replace the device.
 * A set never removes one. folio_atomic_begin()/commit() (model files,
 * which must end in .lp or .mps) always rename.
 */
#ifndef FOLIO_ATOMIC_FILE_H
#define FOLIO_ATOMIC_FILE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Extra bytes a temp path needs beyond strlen(path):
 * ".tmp." + the process id (up to 10 digits) + ".XXXXXX" + NUL. Temp files
 * carry the id of the process that made them, so that a later run can
 * tell the leftovers of a process that died (folio_atomic_clean). */
#define FOLIO_ATOMIC_TMP_EXTRA 24

/* Writes len bytes of data to path atomically (temp
 * "<path>.tmp.<pid>.XXXXXX", fsync, rename, then a best-effort fsync of the
 * directory). */
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

/* ---- sets of files that change together ----------------------------------
 *
 * folio_atomic_write_set() replaces several files as one: a reader, or a
 * crash at any point, sees either every old file or every new one.
 *
 *  1. each new file is written completely beside its target
 *     ("<path>.tmp.<pid>.XXXXXX") and fsynced; the old files are untouched;
 *  2. a journal (the path the caller names, written atomically) lists every
 *     staged file with its target, and the targets to remove: its rename is
 *     the commit point;
 *  3. the staged files are renamed over their targets, in the order given
 *     (put the file that vouches for the others, a run record, last), the
 *     removals done, the folders fsynced, and the journal removed.
 *
 * A crash before step 2 leaves the old set and staged files that
 * folio_atomic_clean() removes; a crash during step 3 leaves a journal that
 * folio_atomic_recover() completes, so the set becomes the new one. Call
 * both before writing the same outputs again. No two processes may write
 * the same set at once. */

/* Whether path is written in place rather than through a temp file: it
 * names a device, FIFO or terminal, or lies in /dev or /proc. */
int folio_atomic_in_place(const char *path);

typedef struct folio_atomic_file {
    const char *path;   /* the target */
    const void *data;   /* its new bytes */
    size_t len;
    int remove;         /* 1: the set has no such file (data unused) */
} folio_atomic_file;

/* Writes the n files as one set under the journal path (a file name in a
 * folder on the targets' file system, usually beside the first target).
 * 0, or -1 with err "cannot write 'PATH': why"; a failure before the
 * commit point leaves the old set and no staged files. */
int folio_atomic_write_set(const folio_atomic_file *files, size_t n, const char *journal,
                           char *err, size_t errlen);

/* Completes the set a crash left half renamed, if journal exists: renames
 * its staged files that are still there and removes what it removes, then
 * removes the journal. Only entries whose staged file sits beside its
 * target under the target's own temp name, and removals in the journal's
 * own folder, are acted on. 0 when there was nothing to do or it is done;
 * -1 with err otherwise. */
int folio_atomic_recover(const char *journal, char *err, size_t errlen);

/* Removes "<path>.tmp.<pid>.XXXXXX" files beside path whose process is
 * gone (or is this one: call it before this process stages anything for
 * path), and "<path>.tmp.XXXXXX" files of older folio versions last
 * changed more than ten minutes ago. Returns how many it removed. */
int folio_atomic_clean(const char *path);

/* The journal of a set anchored at path: ".<name>.folio-commit" in path's
 * folder. 0, or -1 when it does not fit in outlen. */
int folio_atomic_journal_for(const char *path, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif

#endif
