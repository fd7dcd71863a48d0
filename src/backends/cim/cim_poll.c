/* The poll of libfolio's long C loops (cim_poll.h). */
#include "cim_poll.h"
#include "folio/folio.h"

#include <stddef.h>

static folio_poll_fn check;
static void *check_ud;

void folio_poll_install(folio_poll_fn fn, void *ud)
{
    check = fn;
    check_ud = fn ? ud : NULL;
}

void folio_poll_uninstall(void *ud)
{
    if (check && check_ud == ud) folio_poll_install(NULL, NULL);
}

int folio_poll(void)
{
    if (folio_interrupted()) return FOLIO_POLL_INTERRUPT;
    if (check && check(check_ud)) return FOLIO_POLL_BUDGET;
    return FOLIO_POLL_GO;
}
