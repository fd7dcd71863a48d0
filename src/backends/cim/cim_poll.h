/* The poll of libfolio's long C loops: the CIM flow's steps, the Ising
 * machines' steps, subset and spin enumeration, the QP engine's
 * iterations and its branch and bound. Where they polled
 * folio_interrupted() alone, they poll folio_poll(), which also asks a
 * stop check the host installs: the Lua sandbox's budget (time, and
 * instructions charged for the C loop's time; src/lua/lsandbox.c), so
 * that no budget stops at the edge of C.
 *
 * Not public API yet: it belongs beside folio_interrupted() in
 * src/core/solve.c and include/folio/folio.h (where GLPK and Cbc would
 * poll it too); it lives here until that move. For the one thread that
 * solves. */
#ifndef FOLIO_CIM_POLL_H
#define FOLIO_CIM_POLL_H

enum {
    FOLIO_POLL_GO = 0,          /* carry on */
    FOLIO_POLL_INTERRUPT = 1,   /* folio_interrupt() was called (Ctrl-C) */
    FOLIO_POLL_BUDGET = 2       /* the installed check says stop */
};

/* A stop check: nonzero to stop. Cheap (a clock read), called between
 * pieces of work of at least some microseconds. */
typedef int (*folio_poll_fn)(void *ud);

/* Installs fn (NULL: none), replacing any other. */
void folio_poll_install(folio_poll_fn fn, void *ud);
/* Removes the check if ud is the one installed (a state closing). */
void folio_poll_uninstall(void *ud);
/* FOLIO_POLL_INTERRUPT, FOLIO_POLL_BUDGET or FOLIO_POLL_GO. */
int folio_poll(void);

#endif
