/* The REPL: GNU readline with a persistent history, multi-line input
 * (continues while the chunk is incomplete, as lua.c does), =expr, :help,
 * :load, :time, tab completion and pretty printing (lua/folio/repl.lua),
 * and Ctrl-C that stops the running code and returns to the prompt. On a
 * pipe it reads plain lines without prompts. */
#include "repl.h"
#include "host.h"

#include <lauxlib.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "folio/folio.h"

#define HISTORY_LINES 1000

static lua_State *repl_L;
static int repl_mod;        /* stack index of folio.repl */
static int tty;
static char history_path[4096];

/* ---- input ------------------------------------------------------------- */

static char *read_line(const char *prompt)
{
    if (tty) return readline(prompt);
    static char buf[1 << 16];
    if (!fgets(buf, sizeof buf, stdin)) return NULL;
    size_t n = strlen(buf);
    if (n && buf[n - 1] == '\n') buf[--n] = '\0';
    return strdup(buf);
}

/* Ctrl-C at the prompt drops the line being typed. Readline calls this
 * from its own signal check, outside the signal context. */
static void prompt_sigint(int sig)
{
    (void)sig;
    fputs("\n", stdout);   /* readline has echoed the ^C */
    rl_replace_line("", 0);
    rl_on_new_line();
    rl_redisplay();
}

static void open_history(void)
{
    const char *p = getenv("FOLIO_HISTORY");
    const char *home = getenv("HOME");
    if (p) snprintf(history_path, sizeof history_path, "%s", p);
    else if (home) snprintf(history_path, sizeof history_path, "%s/.folio_history", home);
    using_history();
    if (history_path[0]) read_history(history_path);   /* a missing file is fine */
}

static void remember(const char *line)
{
    if (!tty || !*line) return;
    HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
    if (last && !strcmp(last->line, line)) return;
    add_history(line);
    /* append now, so a crash or a kill loses nothing */
    if (history_path[0] && append_history(1, history_path) != 0) write_history(history_path);
}

/* ---- completion ---------------------------------------------------------- */

static char **matches;
static size_t nmatches, next_match;

static char *match_generator(const char *text, int state)
{
    (void)text;
    if (!state) next_match = 0;
    return next_match < nmatches ? strdup(matches[next_match++]) : NULL;
}

static void free_matches(void)
{
    for (size_t i = 0; i < nmatches; i++) free(matches[i]);
    free(matches);
    matches = NULL;
    nmatches = 0;
}

static char **complete(const char *text, int start, int end)
{
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1;   /* never file names */
    rl_completion_append_character = '\0';
    free_matches();
    lua_State *L = repl_L;
    lua_getfield(L, repl_mod, "complete");
    lua_pushstring(L, text);
    if (host_docall(L, 1, 1) != LUA_OK || !lua_istable(L, -1)) {
        lua_pop(L, 1);
        return NULL;
    }
    size_t n = (size_t)lua_rawlen(L, -1);
    matches = calloc(n + 1, sizeof *matches);
    for (size_t i = 0; matches && i < n; i++) {
        lua_rawgeti(L, -1, (lua_Integer)i + 1);
        matches[nmatches++] = strdup(lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return nmatches ? rl_completion_matches(text, match_generator) : NULL;
}

/* ---- evaluation ------------------------------------------------------ */

static int incomplete(lua_State *L, int status)
{
    if (status != LUA_ERRSYNTAX) return 0;
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    static const char eof[] = "<eof>";
    return len >= sizeof eof - 1 && !strcmp(msg + len - (sizeof eof - 1), eof);
}

/* Compiles src as "return src" if that is an expression, else as is;
 * "=expr" is "return expr". */
static int compile(lua_State *L, const char *src)
{
    if (src[0] == '=') src++;
    const char *ret = lua_pushfstring(L, "return %s;", src);
    int st = luaL_loadbuffer(L, ret, strlen(ret), "=stdin");
    lua_remove(L, -2);
    if (st == LUA_OK) return st;
    lua_pop(L, 1);
    return luaL_loadbuffer(L, src, strlen(src), "=stdin");
}

static void print_error(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "%s\n", msg ? msg : "(error without message)");
    fflush(stderr);
    lua_pop(L, 1);
}

/* Runs the function at the top with Ctrl-C armed and prints what it
 * returns; with timed, also the wall-clock time. */
static void run_and_show(lua_State *L, int timed)
{
    int base = lua_gettop(L) - 1;
    double t0 = folio_now();
    host_arm_interrupt(L);
    int st = host_docall(L, 0, LUA_MULTRET);
    host_disarm_interrupt();
    double dt = folio_now() - t0;
    lua_sethook(L, NULL, 0, 0);
    if (st != LUA_OK) {
        print_error(L);
        lua_settop(L, base);
        return;
    }
    int nres = lua_gettop(L) - base;
    if (nres > 0) {
        lua_createtable(L, nres, 0);
        for (int i = 1; i <= nres; i++) {
            lua_pushvalue(L, base + i);
            lua_rawseti(L, -2, i);
        }
        lua_getfield(L, repl_mod, "show");
        lua_insert(L, -2);
        lua_pushinteger(L, nres);
        if (host_docall(L, 2, 1) == LUA_OK) printf("%s\n", lua_tostring(L, -1));
        else print_error(L);
        /* the last value is kept as _ for the next line */
        lua_pushvalue(L, base + 1);
        lua_setglobal(L, "_");
    }
    if (timed) printf("time: %.3f ms\n", dt * 1e3);
    fflush(stdout);
    lua_settop(L, base);
}

static void do_command(lua_State *L, const char *line)
{
    const char *arg = line + strcspn(line, " \t");
    size_t cmdlen = (size_t)(arg - line);
    arg += strspn(arg, " \t");
    if (!strncmp(line, ":help", cmdlen) && cmdlen >= 2) {
        lua_getfield(L, repl_mod, "help");
        lua_pushstring(L, arg);
        if (host_require(L, "folio.core") != LUA_OK) { print_error(L); lua_pop(L, 2); return; }
        lua_getfield(L, -1, "docs");   /* the embedded documentation pages */
        lua_remove(L, -2);
        if (host_docall(L, 0, 1) != LUA_OK) { print_error(L); lua_pop(L, 2); return; }
        if (host_docall(L, 2, 1) == LUA_OK) printf("%s\n", lua_tostring(L, -1));
        else { print_error(L); return; }
        lua_pop(L, 1);
    } else if (!strncmp(line, ":load", cmdlen) && cmdlen >= 2) {
        if (!*arg) { fprintf(stderr, ":load needs a file name\n"); return; }
        /* repl.load: the file runs as `folio run` runs it (folio.script_dir) */
        lua_getfield(L, repl_mod, "load");
        lua_pushstring(L, arg);
        if (host_docall(L, 1, 2) != LUA_OK) { print_error(L); return; }
        if (lua_isnil(L, -2)) { print_error(L); lua_pop(L, 1); return; }
        lua_pop(L, 1);
        run_and_show(L, 0);
    } else if (!strncmp(line, ":time", cmdlen) && cmdlen >= 2) {
        if (!*arg) { fprintf(stderr, ":time needs an expression\n"); return; }
        if (compile(L, arg) != LUA_OK) { print_error(L); return; }
        run_and_show(L, 1);
    } else if (!strncmp(line, ":quit", cmdlen) && cmdlen >= 2) {
        exit(EXIT_SOLVED);
    } else {
        fprintf(stderr, "unknown command '%.*s' (:help lists them)\n", (int)cmdlen, line);
    }
    fflush(stdout);
}

static int start(lua_State *L)
{
    if (host_require(L, "folio") != LUA_OK) return -1;
    lua_setglobal(L, "folio");
    if (host_require(L, "folio.repl") != LUA_OK) return -1;
    repl_mod = lua_gettop(L);
    return 0;
}

/* The session, under host_protected: memory running out in the host's
 * own stack work ends it with a message, not a panic. */
static int repl_body(lua_State *L, void *ud)
{
    (void)ud;
    repl_L = L;
    if (start(L) != 0) return host_report_error(L);
    tty = isatty(0) && isatty(1);
    if (tty) {
        rl_readline_name = "folio";
        rl_attempted_completion_function = complete;
        rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/%^~#[]";
        rl_completer_word_break_characters = rl_basic_word_break_characters;
        open_history();
        printf("folio %s (Lua %s.%s) -- :help for commands, Ctrl-D to quit\n", FOLIO_VERSION,
               LUA_VERSION_MAJOR, LUA_VERSION_MINOR);
        fflush(stdout);
    }
    for (;;) {
        if (tty) signal(SIGINT, prompt_sigint);
        char *line = read_line("> ");
        if (!line) break;
        if (line[0] == ':') {
            remember(line);
            do_command(L, line);
            free(line);
            continue;
        }
        /* the chunk: =expr means return expr; continue while incomplete */
        lua_pushstring(L, line);
        free(line);
        int st;
        for (;;) {
            const char *src = lua_tostring(L, -1);
            st = compile(L, src);
            if (!incomplete(L, st)) break;
            lua_pop(L, 1);
            char *more = read_line(">> ");
            if (!more) {   /* end of input inside a chunk: report it */
                st = compile(L, lua_tostring(L, -1));
                break;
            }
            lua_pushfstring(L, "%s\n%s", lua_tostring(L, -1), more);
            lua_remove(L, -2);
            free(more);
        }
        if (tty) remember(lua_tostring(L, -2));
        if (st != LUA_OK) {
            print_error(L);
            lua_pop(L, 1);
            continue;
        }
        lua_remove(L, -2);   /* the source text */
        run_and_show(L, 0);
    }
    if (tty) {
        putchar('\n');
        if (history_path[0]) history_truncate_file(history_path, HISTORY_LINES);
    }
    return EXIT_SOLVED;
}

int cmd_repl(void)
{
    lua_State *L = host_new_state(0);
    if (!L) return EXIT_SCRIPT;
    int code = host_protected(L, repl_body, NULL);
    free_matches();
    host_close_state(L);
    return code;
}
