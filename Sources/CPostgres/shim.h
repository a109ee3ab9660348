#ifndef EHX_CPOSTGRES_SHIM_H
#define EHX_CPOSTGRES_SHIM_H

/* libpq, PostgreSQL's own C client (Debian: libpq-dev). pkg-config libpq
   gives the include directory (/usr/include/postgresql on Debian). */
#include <libpq-fe.h>

#endif
