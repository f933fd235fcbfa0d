/* Whisper's English normaliser, step by step in its order (english.py's EnglishTextNormalizer):
 * each step rewrites the whole string, as each re.sub does there. */
#include "normalise.h"

#include "../../engine/base/strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Python's \w for the bytes seen here: ASCII letters, digits, '_', and any non-ASCII byte
 * (letters outside ASCII count as word characters in Python's Unicode regexes). */
static int is_word(unsigned char c) { return isalnum(c) || c == '_' || c >= 0x80; }

/* Replaces s by the contents of b; returns NULL when out of memory. */
static char *swap(char *s, wl_strbuf *b)
{
    free(s);
    return wl_strbuf_done(b);
}

/* [..] and <..> (first closing bracket of either kind), then (..) with something inside. */
static char *remove_brackets(char *s)
{
    wl_strbuf b = {0};
    for (size_t i = 0; s[i];) {
        if (s[i] == '[' || s[i] == '<') {
            size_t j = i + 1 + strcspn(s + i + 1, ">]");
            if (s[j]) {
                i = j + 1;
                continue;
            }
        }
        wl_strbuf_add(&b, s + i++, 1);
    }
    s = swap(s, &b);
    if (!s) return NULL;
    b = (wl_strbuf){0};
    for (size_t i = 0; s[i];) {
        if (s[i] == '(' && s[i + 1] && s[i + 1] != ')') {
            char *close = strchr(s + i + 1, ')');
            if (close) {
                i = (size_t)(close - s) + 1;
                continue;
            }
        }
        wl_strbuf_add(&b, s + i++, 1);
    }
    return swap(s, &b);
}

/* Replaces every non-overlapping match of pat, left to right. word_start: the match must begin
 * at a word boundary (the pattern's leading \b); every pattern here ends in a word character
 * followed by \b. */
static char *replace(char *s, const char *pat, int word_start, const char *with)
{
    wl_strbuf b = {0};
    size_t m = strlen(pat);
    for (size_t i = 0; s[i];) {
        if (strncmp(s + i, pat, m) == 0 && !is_word((unsigned char)s[i + m]) &&
            (!word_start || i == 0 || !is_word((unsigned char)s[i - 1]))) {
            wl_strbuf_puts(&b, with);
            i += m;
            continue;
        }
        wl_strbuf_add(&b, s + i++, 1);
    }
    return swap(s, &b);
}

static const char *const FILLERS[] = {"hmm", "mm", "mhm", "mmm", "uh", "um"};

/* english.py's replacers, in its order: whole words first, then suffixes (no leading \b). */
static const struct {
    const char *pat;
    int word_start;
    const char *with;
} REPLACERS[] = {
    {"won't", 1, "will not"}, {"can't", 1, "can not"}, {"let's", 1, "let us"}, {"ain't", 1, "aint"},
    {"y'all", 1, "you all"}, {"wanna", 1, "want to"}, {"gotta", 1, "got to"}, {"gonna", 1, "going to"},
    {"i'ma", 1, "i am going to"}, {"imma", 1, "i am going to"}, {"woulda", 1, "would have"},
    {"coulda", 1, "could have"}, {"shoulda", 1, "should have"}, {"ma'am", 1, "madam"},
    {"mr", 1, "mister "}, {"mrs", 1, "missus "}, {"st", 1, "saint "}, {"dr", 1, "doctor "},
    {"prof", 1, "professor "}, {"capt", 1, "captain "}, {"gov", 1, "governor "}, {"ald", 1, "alderman "},
    {"gen", 1, "general "}, {"sen", 1, "senator "}, {"rep", 1, "representative "},
    {"pres", 1, "president "}, {"rev", 1, "reverend "}, {"hon", 1, "honorable "},
    {"asst", 1, "assistant "}, {"assoc", 1, "associate "}, {"lt", 1, "lieutenant "},
    {"col", 1, "colonel "}, {"jr", 1, "junior "}, {"sr", 1, "senior "}, {"esq", 1, "esquire "},
    {"'d been", 0, " had been"}, {"'s been", 0, " has been"}, {"'d gone", 0, " had gone"},
    {"'s gone", 0, " has gone"}, {"'d done", 0, " had done"}, {"'s got", 0, " has got"},
    {"n't", 0, " not"}, {"'re", 0, " are"}, {"'s", 0, " is"}, {"'d", 0, " would"}, {"'ll", 0, " will"},
    {"'t", 0, " not"}, {"'ve", 0, " have"}, {"'m", 0, " am"},
};

/* Whitespace before an apostrophe goes ("i 'm" -> "i'm"). */
static char *join_apostrophes(char *s)
{
    wl_strbuf b = {0};
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c)) {
            size_t j = i;
            while (isspace((unsigned char)s[j])) j++;
            if (s[j] == '\'') {
                i = j - 1;
                continue;
            }
        }
        wl_strbuf_add(&b, s + i, 1);
    }
    return swap(s, &b);
}

/* Commas between digits go; a period not followed by a digit becomes a space; other ASCII
 * punctuation and symbols become spaces, except . % $ (kept for numbers). */
static char *punctuation(char *s)
{
    wl_strbuf b = {0};
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ',' && i > 0 && isdigit((unsigned char)s[i - 1]) && isdigit((unsigned char)s[i + 1])) continue;
        if (c == '.' && !isdigit((unsigned char)s[i + 1])) c = ' ';
        else if (c < 0x80 && ispunct(c) && c != '.' && c != '%' && c != '$') c = ' ';
        wl_strbuf_add(&b, (char *)&c, 1);
    }
    return swap(s, &b);
}

/* ---- spelled numbers (EnglishNumberNormalizer, without currencies, signs and percent) ---- */

static const char *const ONES[] = {"",        "one",     "two",       "three",    "four",
                                   "five",    "six",     "seven",     "eight",    "nine",
                                   "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                   "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
static const char *const TENS[] = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
static const char *const MULT[] = {"hundred", "thousand", "million", "billion", "trillion"};
static const long long MULT_VALUE[] = {100, 1000, 1000000, 1000000000, 1000000000000};

static int index_of(const char *w, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (*list[i] && strcmp(w, list[i]) == 0) return i;
    return -1;
}

/* A number word's kind and value; suffix is the "s"/"th"/"st"... it carries (ordinals, plurals). */
enum { W_NONE, W_ZERO, W_ONES, W_TENS, W_MULT, W_AND, W_POINT, W_DOUBLE };
typedef struct {
    int kind;
    long long value;
    char suffix[4];
    int suffixed;
} numword;

/* "sixes", "fours", "fourth", "eighth", "nineth" (english.py's own spelling; "ninth" is not one) */
static int ones_suffixed(const char *w, long long *value, const char **suffix)
{
    static const struct { const char *w; int v; const char *suf; } SPECIAL[] = {
        {"zeroth", 0, "th"}, {"first", 1, "st"}, {"second", 2, "nd"}, {"third", 3, "rd"}, {"fifth", 5, "th"},
        {"twelfth", 12, "th"}, {"sixes", 6, "s"}};
    char t[32];
    for (size_t k = 0; k < sizeof SPECIAL / sizeof *SPECIAL; k++)
        if (!strcmp(w, SPECIAL[k].w)) return *value = SPECIAL[k].v, *suffix = SPECIAL[k].suf, 1;
    for (int i = 1; i < 20; i++) {
        size_t n = strlen(ONES[i]);
        snprintf(t, sizeof t, "%ss", ONES[i]);
        if (i != 6 && !strcmp(w, t)) return *value = i, *suffix = "s", 1;
        snprintf(t, sizeof t, "%s%s", ONES[i], ONES[i][n - 1] == 't' ? "h" : "th");
        if (i > 3 && i != 5 && i != 12 && !strcmp(w, t)) return *value = i, *suffix = "th", 1;
    }
    return 0;
}

/* "twenties", "twentieth" */
static int tens_suffixed(const char *w, long long *value, const char **suffix)
{
    char t[32];
    for (int i = 0; i < 8; i++) {
        size_t n = strlen(TENS[i]) - 1; /* without the final y */
        snprintf(t, sizeof t, "%.*sies", (int)n, TENS[i]);
        if (!strcmp(w, t)) return *value = 20 + 10 * i, *suffix = "s", 1;
        snprintf(t, sizeof t, "%.*sieth", (int)n, TENS[i]);
        if (!strcmp(w, t)) return *value = 20 + 10 * i, *suffix = "th", 1;
    }
    return 0;
}

static numword classify(const char *w)
{
    numword n = {0};
    int i;
    const char *suf = NULL;
    if (!w) return n;
    if (!strcmp(w, "o") || !strcmp(w, "oh") || !strcmp(w, "zero")) n.kind = W_ZERO;
    else if (!strcmp(w, "and")) n.kind = W_AND;
    else if (!strcmp(w, "point")) n.kind = W_POINT;
    else if (!strcmp(w, "double")) n.kind = W_DOUBLE, n.value = 2;
    else if (!strcmp(w, "triple")) n.kind = W_DOUBLE, n.value = 3;
    else if ((i = index_of(w, ONES, 20)) > 0) n.kind = W_ONES, n.value = i;
    else if ((i = index_of(w, TENS, 8)) >= 0) n.kind = W_TENS, n.value = 20 + 10 * i;
    else if ((i = index_of(w, MULT, 5)) >= 0) n.kind = W_MULT, n.value = MULT_VALUE[i];
    else if (ones_suffixed(w, &n.value, &suf)) n.kind = W_ONES;
    else if (tens_suffixed(w, &n.value, &suf)) n.kind = W_TENS;
    else {
        size_t len = strlen(w);
        for (int m = 0; m < 5 && !suf; m++) {
            size_t k = strlen(MULT[m]);
            if (len > k && !strncmp(w, MULT[m], k) && (!strcmp(w + k, "s") || !strcmp(w + k, "th")))
                n.kind = W_MULT, n.value = MULT_VALUE[m], suf = w + k;
        }
    }
    if (suf) n.suffixed = 1, snprintf(n.suffix, sizeof n.suffix, "%s", suf);
    return n;
}

/* The pending number: an integer, or a digit string (digits said one by one, decimals). */
typedef struct {
    int set, is_str;
    long long num;
    char str[64];
} pending;

static void emit_word(wl_strbuf *out, const char *w)
{
    if (out->n) wl_strbuf_puts(out, " ");
    wl_strbuf_puts(out, w);
}

static void flush(wl_strbuf *out, pending *v, const char *suffix)
{
    char t[96];
    if (!v->set) return;
    if (v->is_str) snprintf(t, sizeof t, "%s%s", v->str, suffix ? suffix : "");
    else snprintf(t, sizeof t, "%lld%s", v->num, suffix ? suffix : "");
    emit_word(out, t);
    *v = (pending){0};
}

static void append_str(pending *v, const char *digits)
{
    char t[64];
    if (!v->set) t[0] = 0;
    else if (v->is_str) snprintf(t, sizeof t, "%s", v->str);
    else snprintf(t, sizeof t, "%lld", v->num);
    snprintf(v->str, sizeof v->str, "%.40s%.20s", t, digits);
    v->set = 1, v->is_str = 1;
}

static int is_numeric(const char *w)
{
    if (!w || !isdigit((unsigned char)*w)) return 0;
    const char *p = w;
    while (isdigit((unsigned char)*p)) p++;
    if (*p == '.') {
        if (!isdigit((unsigned char)p[1])) return 0;
        for (p++; isdigit((unsigned char)*p); p++) {}
    }
    return *p == 0;
}

/* An integer digit string (no point) as a number, if it fits comfortably. */
static int str_int(const char *s, long long *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15 || strspn(s, "0123456789") != n) return 0;
    *out = atoll(s);
    return 1;
}

/* ones (1..19) joined to the pending value, as process_words does */
static void add_ones(pending *v, long long ones, int prev_tens, int prev_ones)
{
    char d[24];
    snprintf(d, sizeof d, "%lld", ones);
    if (!v->set) v->set = 1, v->num = ones;
    else if (v->is_str || prev_ones) {
        if (prev_tens && ones < 10 && v->is_str) {
            size_t l = strlen(v->str);
            if (l && v->str[l - 1] == '0') v->str[l - 1] = (char)('0' + ones);
        } else append_str(v, d);
    } else if (ones < 10 ? v->num % 10 == 0 : v->num % 100 == 0) v->num += ones;
    else append_str(v, d);
}

/* A digit string "12" or "1.5" as num / den; 0 when it is not one or too long. */
static int to_fraction(const char *s, __int128 *num, long long *den)
{
    size_t n = strlen(s);
    if (!is_numeric(s) || n > 18) return 0;
    *num = 0, *den = 1;
    for (const char *p = s, *dot = strchr(s, '.'); *p; p++) {
        if (*p == '.') continue;
        *num = *num * 10 + (*p - '0');
        if (dot && p > dot) *den *= 10;
    }
    return 1;
}

/* A space at letter/digit boundaries ("20th" -> "20 th"), then none before a suffix word. */
static char *split_digits(char *s)
{
    wl_strbuf b = {0};
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i], d = (unsigned char)s[i + 1];
        wl_strbuf_add(&b, s + i, 1);
        if ((islower(c) && isdigit(d)) || (isdigit(c) && islower(d))) wl_strbuf_add(&b, " ", 1);
    }
    s = swap(s, &b);
    if (!s) return NULL;
    b = (wl_strbuf){0};
    static const char *const SUFFIX[] = {"st", "nd", "rd", "th", "s"};
    for (size_t i = 0; s[i]; i++) {
        wl_strbuf_add(&b, s + i, 1);
        if (!isdigit((unsigned char)s[i]) || !isspace((unsigned char)s[i + 1])) continue;
        size_t j = i + 1;
        while (isspace((unsigned char)s[j])) j++;
        for (int k = 0; k < 5; k++) {
            size_t m = strlen(SUFFIX[k]);
            if (!strncmp(s + j, SUFFIX[k], m) && !is_word((unsigned char)s[j + m])) {
                i = j - 1;
                break;
            }
        }
    }
    return swap(s, &b);
}

/* process_words: runs of number words become digits ("twenty one" -> "21", "two hundred and
 * five" -> "205", "one oh one" -> "101"), other words pass through. */
static char *numbers(char *s)
{
    s = split_digits(s);
    if (!s) return NULL;
    int nw = 0, cap = 16;
    char **w = malloc(sizeof *w * (size_t)cap);
    for (char *tok = strtok(s, " \t\n\r\f\v"); w && tok; tok = strtok(NULL, " \t\n\r\f\v")) {
        if (nw == cap) {
            char **p = realloc(w, sizeof *w * (size_t)(cap *= 2));
            if (!p) free(w);
            w = p;
        }
        if (w) w[nw++] = tok;
    }
    if (!w) return free(s), NULL;
    wl_strbuf out = {0};
    pending v = {0};
    for (int i = 0; i < nw; i++) {
        const char *prev = i > 0 ? w[i - 1] : NULL, *next = i + 1 < nw ? w[i + 1] : NULL;
        numword cur = classify(w[i]), pw = classify(prev), nx = classify(next);
        int prev_ones = pw.kind == W_ONES && !pw.suffixed, prev_tens = pw.kind == W_TENS && !pw.suffixed;
        int next_num = nx.kind != W_NONE || is_numeric(next);
        if (is_numeric(w[i])) {
            if (v.set && v.is_str && v.str[strlen(v.str) - 1] == '.') { /* decimals */
                append_str(&v, w[i]);
                continue;
            }
            flush(&out, &v, NULL);
            long long x;
            if (str_int(w[i], &x)) v.set = 1, v.num = x;
            else v.set = 1, v.is_str = 1, snprintf(v.str, sizeof v.str, "%.63s", w[i]);
        } else if (cur.kind == W_NONE) {
            flush(&out, &v, NULL);
            emit_word(&out, w[i]);
        } else if (cur.kind == W_ZERO) {
            append_str(&v, "0");
        } else if (cur.kind == W_ONES) {
            add_ones(&v, cur.value, prev_tens, prev_ones);
            if (cur.suffixed) flush(&out, &v, cur.suffix);
        } else if (cur.kind == W_TENS) {
            char d[8];
            snprintf(d, sizeof d, "%lld", cur.value);
            if (!v.set) v.set = 1, v.num = cur.value;
            else if (!v.is_str && v.num % 100 == 0) v.num += cur.value;
            else append_str(&v, d);
            if (cur.suffixed) flush(&out, &v, cur.suffix);
        } else if (cur.kind == W_MULT) {
            __int128 num;
            long long den;
            if (!v.set) v.set = 1, v.num = cur.value;
            else if (v.is_str || v.num == 0) { /* "1.5 million" -> 1500000 when whole */
                __int128 p = 0;
                int whole = !v.is_str || (to_fraction(v.str, &num, &den) &&
                                          (p = num * cur.value) % den == 0 && p / den < (__int128)1e17);
                if (!v.is_str) v.num = 0;
                else if (whole) v = (pending){.set = 1, .num = (long long)(p / den)};
                else flush(&out, &v, NULL), v.set = 1, v.num = cur.value;
            } else v.num = v.num / 1000 * 1000 + v.num % 1000 * cur.value;
            if (cur.suffixed) flush(&out, &v, cur.suffix);
        } else if (!next_num) { /* and, point, double, triple: special only before a number */
            flush(&out, &v, NULL);
            emit_word(&out, w[i]);
        } else if (cur.kind == W_AND) { /* dropped after hundred, thousand, ... */
            if (pw.kind != W_MULT || pw.suffixed) flush(&out, &v, NULL), emit_word(&out, w[i]);
        } else if (cur.kind == W_DOUBLE) {
            if ((nx.kind == W_ONES || nx.kind == W_ZERO) && !nx.suffixed) {
                char d[8];
                snprintf(d, sizeof d, "%lld", nx.kind == W_ZERO ? 0 : nx.value);
                for (int r = 0; r < cur.value; r++) append_str(&v, d);
                i++;
            } else flush(&out, &v, NULL), emit_word(&out, w[i]);
        } else if (cur.kind == W_POINT) {
            if ((nx.kind == W_ONES || nx.kind == W_TENS || nx.kind == W_ZERO) && !nx.suffixed) append_str(&v, ".");
            else if (is_numeric(next)) append_str(&v, ".");
        }
    }
    flush(&out, &v, NULL);
    free(w);
    free(s);
    if (!(s = wl_strbuf_done(&out))) return NULL;
    /* "1" and "1s" are written "one", "ones" again, for readability */
    wl_strbuf b = {0};
    for (size_t i = 0; s[i];) {
        int start = i == 0 || !is_word((unsigned char)s[i - 1]);
        if (start && s[i] == '1' && !is_word((unsigned char)s[i + 1])) wl_strbuf_puts(&b, "one"), i++;
        else if (start && s[i] == '1' && s[i + 1] == 's' && !is_word((unsigned char)s[i + 2])) wl_strbuf_puts(&b, "ones"), i += 2;
        else wl_strbuf_add(&b, s + i++, 1);
    }
    return swap(s, &b);
}

/* Symbols not next to a number go; runs of whitespace become one space; ends trimmed. */
static char *finish(char *s)
{
    wl_strbuf b = {0};
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '$' && isdigit((unsigned char)s[i + 1])) {
            wl_strbuf_add(&b, s + i, 1);
            continue;
        }
        if ((c == '.' || c == '$') && !isdigit((unsigned char)s[i + 1])) c = ' ';
        if (c == '%' && (i == 0 || !isdigit((unsigned char)s[i - 1]))) c = ' ';
        if (isspace(c)) {
            if (b.n && b.s[b.n - 1] != ' ') wl_strbuf_add(&b, " ", 1);
            continue;
        }
        wl_strbuf_add(&b, (char *)&c, 1);
    }
    if (b.n && b.s[b.n - 1] == ' ') b.s[--b.n] = 0;
    return swap(s, &b);
}

int normalise_same_words(const char *a, const char *b)
{
    char *x = normalise_text(a), *y = normalise_text(b);
    int same = x && y && !strcmp(x, y);
    free(x), free(y);
    return same;
}

char *normalise_text(const char *text)
{
    char *s = strdup(text ? text : "");
    if (!s) return NULL;
    for (char *p = s; *p; p++) *p = (char)tolower((unsigned char)*p);
    s = remove_brackets(s);
    for (size_t k = 0; s && k < sizeof FILLERS / sizeof *FILLERS; k++) s = replace(s, FILLERS[k], 1, "");
    if (s) s = join_apostrophes(s);
    for (size_t k = 0; s && k < sizeof REPLACERS / sizeof *REPLACERS; k++)
        s = replace(s, REPLACERS[k].pat, REPLACERS[k].word_start, REPLACERS[k].with);
    if (s) s = punctuation(s);
    if (s) s = numbers(s);
    if (s) s = finish(s);
    return s;
}
