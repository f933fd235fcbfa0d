/* A model ready to transcribe: its folder, weights, generation settings, tokenizer and what it
 * is, loaded together (the whisperlab command and the lab's report share this). */
#ifndef WL_SESSION_H
#define WL_SESSION_H

#include "../model/model_card.h"
#include "../whisperlab.h"

typedef struct {
    char dir[4096]; /* the resolved model folder */
    wl_model *model;
    wl_state *state;  /* over model, without stage callbacks */
    wl_dims dims;
    wl_gen_config cfg;
    wl_tokenizer *tok;
    wl_model_card card;
} wl_session;

/* Resolves model_arg as wl_resolve_model does (fallback: the local model) and loads everything;
 * on failure closes what was opened and returns -1 with err naming the file. */
int wl_session_open(wl_session *s, const char *model_arg, const char *fallback, int n_threads, char *err,
                    size_t errlen);
void wl_session_close(wl_session *s);

/* One token as text (timestamps written <|1.50|>); escape: control characters as \n, \xNN. */
void wl_token_text(const wl_tokenizer *tok, int32_t id, char *out, size_t outlen, int escape);

#endif
