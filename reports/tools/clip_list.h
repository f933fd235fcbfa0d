/* The lab's clip list (data/clips.json), read and checked whole before a model loads: a report
 * over no clips, a clip with no sentence or no id, or a name that would make the report's JSON
 * invalid (not UTF-8) is refused with the file named. */
#ifndef CLIP_LIST_H
#define CLIP_LIST_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* The list at path (free with cJSON_Delete), or NULL with a one-line message in err. "clips" must
 * be a non-empty list and "grammar_errors", if present, a list; every entry needs an "id" of
 * 1..32 letters, digits, '-' or '_' (it names files), unique over both lists, a "sentence" with a
 * word, a "file", and (grammar errors) a "correct" with a word; every string is UTF-8, as is
 * audio_dir (the clips' paths join it). */
cJSON *clip_list_read(const char *path, const char *audio_dir, char *err, size_t errlen);

/* 1 if s is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
int clip_list_utf8(const char *s);

#endif
