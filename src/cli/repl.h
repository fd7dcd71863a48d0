/* `folio repl`: the interactive prompt (repl.c). */
#ifndef FOLIO_CLI_REPL_H
#define FOLIO_CLI_REPL_H

int cmd_repl(void);

#endif
