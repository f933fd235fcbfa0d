/* Loading a model folder with everything decoding needs. */
#include "session.h"

#include "../io/model_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wl_session_close(wl_session *s)
{
    wl_tokenizer_free(s->tok);
    wl_gen_config_free(&s->cfg);
    wl_state_free(s->state);
    wl_model_free(s->model);
    s->tok = NULL, s->model = NULL, s->state = NULL;
}

int wl_session_open(wl_session *s, const char *model_arg, const char *fallback, int n_threads, char *err,
                    size_t errlen)
{
    memset(s, 0, sizeof *s);
    wl_params p = wl_default_params();
    p.n_threads = n_threads;
    if (wl_resolve_model(model_arg, fallback, s->dir, sizeof s->dir, err, errlen) ||
        wl_model_card_read(s->dir, &s->card, err, errlen) || wl_model_load(s->dir, p, &s->model, err, errlen) ||
        wl_state_new(s->model, NULL, NULL, &s->state, err, errlen) ||
        wl_gen_config_load(s->dir, &s->cfg, err, errlen) || wl_tokenizer_load(s->dir, &s->tok, err, errlen) ||
        wl_tokenizer_check(s->tok, &s->cfg, s->dir, err, errlen)) {
        wl_session_close(s);
        return -1;
    }
    s->dims = wl_model_dims(s->model);
    int32_t gap = wl_tokenizer_first_gap(s->tok, s->dims.n_vocab);
    if (gap >= 0) { /* every id the model can emit must decode to something */
        snprintf(err, errlen, "%s/vocab.json: id %d of the model's %d has no token (in neither vocab.json nor "
                 "added_tokens.json)", s->dir, gap, s->dims.n_vocab);
        wl_session_close(s);
        return -1;
    }
    return 0;
}

void wl_token_text(const wl_tokenizer *tok, int32_t id, char *out, size_t outlen, int escape)
{
    char *t = wl_detokenize(tok, &id, 1, WL_DECODE_TIMESTAMPS);
    size_t w = 0;
    for (const char *p = t ? t : ""; *p && w + 5 < outlen; p++) {
        unsigned char ch = (unsigned char)*p;
        if (escape && ch < 0x20) w += (size_t)snprintf(out + w, outlen - w, ch == '\n' ? "\\n" : "\\x%02x", ch);
        else out[w++] = (char)ch;
    }
    out[w] = 0;
    free(t);
}
