/* The Unicode classes of the GPT-2 pre-tokenizer regex, per code point (table generated from
 * the Python `regex` module by gen/make_unicode_classes.py, so C and HF agree exactly). */
#ifndef WL_UNICODE_CLASSES_H
#define WL_UNICODE_CLASSES_H

#include <stdint.h>

enum {
    WL_UC_LETTER = 1, /* \p{L} */
    WL_UC_NUMBER = 2, /* \p{N} */
    WL_UC_SPACE = 4,  /* \s */
    WL_UC_DIGIT = 8,  /* \d (decimal digits, any script) */
};

/* The WL_UC_* flags of code point cp (0 for none). */
int wl_uc_class(uint32_t cp);

#endif
