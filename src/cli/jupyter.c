/* `folio jupyter install`: registers the folio Jupyter kernel (a kernelspec
 * directory with kernel.json) for python/folio/kernel.py, which runs in
 * Debian's /usr/bin/python3 on the folio Python module (docs/jupyter.md). */
#define _DEFAULT_SOURCE   /* realpath */
#include "jupyter.h"
#include "host.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/atomic_file.h"
#include "folio/folio.h"

#define MAX_FLAGS 64

typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_add(strbuf *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_puts(strbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* s as a JSON string */
static void sb_json(strbuf *b, const char *s)
{
    sb_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            sb_add(b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            sb_puts(b, esc);
        } else {
            sb_add(b, (const char *)p, 1);
        }
    }
    sb_puts(b, "\"");
}

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: jupyter install: ", host_progname);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_SCRIPT;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The folder holding the folio Python package (folio/kernel.py) that
 * belongs to this binary: BIN_DIR/python in a build tree, or
 * PREFIX/lib/python3.X/{dist,site}-packages beside PREFIX/bin. */
static int find_python_dir(char *out, size_t len)
{
    char exe[PATH_MAX], probe[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = '\0';
    snprintf(probe, sizeof probe, "%s/python/folio/kernel.py", exe);
    if (is_file(probe)) return snprintf(out, len, "%s/python", exe) < (int)len ? 0 : -1;
    const char *patterns[] = { "%s/../lib/python3*/dist-packages/folio/kernel.py",
                               "%s/../lib/python3*/site-packages/folio/kernel.py" };
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++) {
        glob_t g;
        snprintf(probe, sizeof probe, patterns[i], exe);
        if (glob(probe, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
            char real[PATH_MAX];
            int ok = realpath(g.gl_pathv[g.gl_pathc - 1], real) != NULL;   /* the newest python3.X sorts last */
            globfree(&g);
            if (!ok) continue;
            *strrchr(real, '/') = '\0';   /* .../folio */
            *strrchr(real, '/') = '\0';   /* the package's parent */
            snprintf(out, len, "%s", real);
            return 0;
        }
        globfree(&g);
    }
    return -1;
}

/* mkdir -p; 0, or -1 with errno set */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(buf, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* A positive, finite number, as `folio run --sandbox` takes its times */
static int positive(const char *flag, const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || !(v > 0)) {
        char msg[256];
        snprintf(msg, sizeof msg, "jupyter install: %s expects a positive, finite number, got '%%s'", flag);
        return host_usage_error(msg, s);
    }
    return 0;
}

#define USAGE "folio jupyter install [--user | --prefix P] [--name NAME] [--display-name TEXT] " \
    "[--python PATH] [--quiet] [--sandbox [--allow-read DIR] [--allow-write DIR] [--max-instructions N] " \
    "[--max-memory SIZE] [--max-time S] [--solver-time-limit S]]"

static int usage(void) { return host_usage_error("%s", "jupyter: usage: " USAGE); }

static int cmd_install(int argc, char **argv)
{
    const char *prefix = NULL, *name = "folio", *display = NULL, *python = "/usr/bin/python3";
    int user = 0, sandbox = 0, quiet = 0, nflags = 0, sb_flags = 0;
    const char *flags[MAX_FLAGS];   /* the kernel's own options, passed on in argv */
    static char folders[MAX_FLAGS][PATH_MAX];
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int takes = !strcmp(a, "--prefix") || !strcmp(a, "--name") || !strcmp(a, "--display-name") ||
                    !strcmp(a, "--python") || !strcmp(a, "--allow-read") || !strcmp(a, "--allow-write") ||
                    !strcmp(a, "--max-instructions") || !strcmp(a, "--max-memory") || !strcmp(a, "--max-time") ||
                    !strcmp(a, "--solver-time-limit");
        if (takes && i + 1 >= argc) return host_usage_error("jupyter install: %s needs a value", a);
        const char *v = takes ? argv[++i] : NULL;
        if (!strcmp(a, "--user")) user = 1;
        else if (!strcmp(a, "--prefix")) prefix = v;
        else if (!strcmp(a, "--name")) name = v;
        else if (!strcmp(a, "--display-name")) display = v;
        else if (!strcmp(a, "--python")) python = v;
        else if (!strcmp(a, "--quiet")) quiet = 1;
        else if (!strcmp(a, "--sandbox")) sandbox = 1;
        else if (takes) {
            /* a sandbox option: checked here, so that a bad value is an
             * error now rather than a kernel that dies when it starts */
            if (nflags + 2 > MAX_FLAGS) return host_usage_error("jupyter install: too many options (at %s)", a);
            if (!strcmp(a, "--allow-read") || !strcmp(a, "--allow-write")) {
                /* folders as absolute paths: the kernel starts in the notebook's folder */
                if (!realpath(v, folders[nflags])) return fail("%s '%s': %s", a, v, strerror(errno));
                v = folders[nflags];
            } else if (!strcmp(a, "--max-instructions")) {
                char *end;
                errno = 0;
                long long n = strtoll(v, &end, 10);
                if (end == v || *end || n <= 0 || errno)
                    return host_usage_error("jupyter install: --max-instructions expects a whole number > 0, got '%s'", v);
            } else if (!strcmp(a, "--max-memory")) {
                if (!host_parse_size(v))
                    return host_usage_error("jupyter install: --max-memory expects a size like 512M or 4G, got '%s'", v);
            } else if (positive(a, v)) {
                return EXIT_USAGE;
            }
            flags[nflags++] = a;
            flags[nflags++] = v;
            sb_flags = 1;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: %s\n(docs/jupyter.md)\n", USAGE);
            return EXIT_SOLVED;
        } else {
            return host_usage_error("jupyter install: unknown option '%s'", a);
        }
    }
    if (user && prefix) return host_usage_error("%s", "jupyter install: --user and --prefix exclude each other");
    if (sb_flags && !sandbox)
        return host_usage_error("%s", "jupyter install: --allow-*, --max-* and --solver-time-limit need --sandbox");
    if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(name))
        return host_usage_error("jupyter install: --name takes letters, digits, '.', '_' and '-', got '%s'", name);
    if (python[0] != '/') return host_usage_error("jupyter install: --python needs an absolute path, got '%s'", python);
    if (access(python, X_OK) != 0) return fail("the Python interpreter '%s': %s", python, strerror(errno));

    char pydir[PATH_MAX];
    if (find_python_dir(pydir, sizeof pydir) != 0)
        return fail("no folio Python module (folio/kernel.py) beside this folio binary: build it with "
                    "FOLIO_PYTHON=ON (python3-dev) or install it (docs/python.md)");

    /* where Jupyter looks: PREFIX/share/jupyter, the user's data folder,
     * or the system's /usr/local/share/jupyter */
    char dir[PATH_MAX];
    int n;
    if (prefix) {
        n = snprintf(dir, sizeof dir, "%s/share/jupyter/kernels/%s", prefix, name);
    } else if (user) {
        const char *data = getenv("JUPYTER_DATA_DIR"), *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        if (data && *data) n = snprintf(dir, sizeof dir, "%s/kernels/%s", data, name);
        else if (xdg && *xdg) n = snprintf(dir, sizeof dir, "%s/jupyter/kernels/%s", xdg, name);
        else if (home && *home) n = snprintf(dir, sizeof dir, "%s/.local/share/jupyter/kernels/%s", home, name);
        else return fail("--user needs HOME (or JUPYTER_DATA_DIR) to be set");
    } else {
        n = snprintf(dir, sizeof dir, "/usr/local/share/jupyter/kernels/%s", name);
    }
    if (n < 0 || n >= (int)sizeof dir - 16) return fail("the kernelspec path is too long");

    strbuf b = { NULL, 0, 0, 0 };
    sb_puts(&b, "{\n  \"argv\": [");
    sb_json(&b, python);
    sb_puts(&b, ", \"-m\", \"folio.kernel\", \"-f\", \"{connection_file}\"");
    if (quiet) sb_puts(&b, ", \"--quiet\"");
    if (sandbox) sb_puts(&b, ", \"--sandbox\"");
    for (int i = 0; i < nflags; i++) {
        sb_puts(&b, ", ");
        sb_json(&b, flags[i]);
    }
    sb_puts(&b, "],\n  \"display_name\": ");
    char shown[256];
    snprintf(shown, sizeof shown, "folio %s%s", FOLIO_VERSION, sandbox ? " (sandboxed)" : "");
    sb_json(&b, display ? display : shown);
    sb_puts(&b, ",\n  \"language\": \"lua\",\n  \"interrupt_mode\": \"signal\",\n  \"env\": {\"PYTHONPATH\": ");
    sb_json(&b, pydir);
    sb_puts(&b, ", \"OPENBLAS_NUM_THREADS\": \"1\"},\n  \"metadata\": {\"folio_version\": ");
    sb_json(&b, FOLIO_VERSION);
    sb_puts(&b, ", \"sandbox\": ");
    sb_puts(&b, sandbox ? "true" : "false");
    sb_puts(&b, "}\n}\n");
    if (b.failed) {
        free(b.s);
        return fail("out of memory");
    }

    if (make_dirs(dir) != 0) {
        int e = errno;
        free(b.s);
        return fail("cannot create '%s': %s", dir, strerror(e));
    }
    char path[PATH_MAX], err[PATH_MAX + 128];
    if (snprintf(path, sizeof path, "%s/kernel.json", dir) >= (int)sizeof path) {
        free(b.s);
        return fail("the kernelspec path is too long");
    }
    int rc = folio_atomic_write(path, b.s, b.len, err, sizeof err);
    free(b.s);
    if (rc != 0) return fail("%s", err);
    printf("installed the folio kernel in %s (Python module: %s)\n", dir, pydir);
    return EXIT_SOLVED;
}

int cmd_jupyter(int argc, char **argv)
{
    if (argc < 1) return usage();
    if (!strcmp(argv[0], "install")) return cmd_install(argc - 1, argv + 1);
    return host_usage_error("jupyter: unknown subcommand '%s' (only 'install')", argv[0]);
}
