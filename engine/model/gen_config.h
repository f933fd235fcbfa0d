/* generation_config.json (gen_config.c; wl_gen_config_load is in whisperlab.h): the rule that
 * both its load and a search (decode/search.c) check alignment heads by. */
#ifndef WL_GEN_CONFIG_H
#define WL_GEN_CONFIG_H

#include "../whisperlab.h"

/* The index of c's first alignment head outside a decoder of layers x heads, or -1; a dimension
 * <= 0 is unknown and not checked. */
int wl_alignment_head_outside(const wl_gen_config *c, long layers, long heads);

#endif
