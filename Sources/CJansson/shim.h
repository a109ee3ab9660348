#ifndef EHX_CJANSSON_SHIM_H
#define EHX_CJANSSON_SHIM_H

#include <jansson.h>

/* json_typeof, json_decref and friends are macros or static inline; these
   give Swift plain functions to call. */
static inline int ehx_json_typeof(const json_t *v) { return (int)json_typeof(v); }
static inline void ehx_json_decref(json_t *v) { json_decref(v); }

#endif
