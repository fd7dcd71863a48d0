/* `folio jupyter install`: registers the folio Jupyter kernel (docs/jupyter.md). */
#ifndef FOLIO_CLI_JUPYTER_H
#define FOLIO_CLI_JUPYTER_H

int cmd_jupyter(int argc, char **argv);

#endif
