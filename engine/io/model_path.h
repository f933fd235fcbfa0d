/* Finding the model folder a user has: a path, or openai/whisper-tiny.en in the HF cache. */
#ifndef WL_MODEL_PATH_H
#define WL_MODEL_PATH_H

#include <stddef.h>

#define WL_DEFAULT_REPO "openai/whisper-tiny.en"

/* The local model used when the HF cache has no WL_DEFAULT_REPO: whisper-micro.en, trained here
 * on espeak-ng speech (not OpenAI's weights; its whisperlab.json says so), as `make` builds it. */
#define WL_LOCAL_MODEL "build/whisper-micro.en"

/* Files a HuggingFace Whisper folder must hold for the engine (weights, configs, tokenizer). */
extern const char *const WL_MODEL_FILES[];

/* Checks dir holds every WL_MODEL_FILES entry; err names the first one missing. */
int wl_model_folder_check(const char *dir, char *err, size_t errlen);

/* The HF hub cache root: $HF_HUB_CACHE, else $HF_HOME/hub, else
 * $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. */
void wl_hf_cache_root(char *out, size_t outlen);

/* The snapshot folder of repo ("owner/name") in the HF cache: the revision refs/main points
 * to, else the only snapshot. Returns 0 and out, or -1 with err saying what was looked for. */
int wl_hf_cache_snapshot(const char *repo, char *out, size_t outlen, char *err, size_t errlen);

/* Whether the HF cache holds anything of repo ("owner/name"): 1 when its models--owner--name
 * folder is there (usable or not), 0 when it is not, -1 when repo is not a repo id. Tells "not
 * downloaded" apart from a cache entry that is broken. */
int wl_hf_cache_has_repo(const char *repo);

/* Resolves the model to use. arg may be a folder, a repo id in the HF cache, or NULL/"" for
 * the default: openai/whisper-tiny.en from the HF cache if present, else fallback (NULL:
 * WL_LOCAL_MODEL). The chosen folder is checked with wl_model_folder_check. */
int wl_resolve_model(const char *arg, const char *fallback, char *out, size_t outlen, char *err,
                     size_t errlen);

#endif
