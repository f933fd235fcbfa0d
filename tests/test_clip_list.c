/* The lab's clip list, checked whole before a model loads: a report over no clips ("0.0 % WER
 * over 0 clips"), a clip with an empty sentence or id, a repeated id, or a string that is not
 * UTF-8 (which would make the report's JSON invalid) is refused with the file named; the lab
 * itself exits 1 with that one line and writes no report, and refuses a model folder whose name
 * is not UTF-8 (run.json names it). The committed list passes. $WL_BIN holds the tools. */
#include "../reports/tools/clip_list.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#define DIR "build/tmp/clip_list"
#define LIST DIR "/clips.json"
#define ONE "{\"id\": \"01\", \"sentence\": \"I work\", \"file\": \"clip_01.wav\"}"
#define ERR1 "{\"id\": \"e1\", \"sentence\": \"he work\", \"correct\": \"he works\", \"file\": \"clip_01.wav\"}"

static int setup(void **state)
{
    (void)state;
    return system("rm -rf " DIR " && mkdir -p " DIR);
}

static void write_list(const char *text)
{
    FILE *f = fopen(LIST, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void expect(const char *text, const char *audio, const char *why)
{
    char err[1024] = "";
    write_list(text);
    cJSON *spec = clip_list_read(LIST, audio, err, sizeof err);
    if (!why) {
        if (!spec) fail_msg("%s: refused: %s", text, err);
        cJSON_Delete(spec);
        return;
    }
    if (spec) fail_msg("%s: accepted", text);
    const char *names = strstr(why, "audio folder") ? audio : LIST;
    if (!strstr(err, names) || !strstr(err, why)) fail_msg("%s: '%s', want '%s' naming %s", text, err, why, names);
    if (strchr(err, '\n')) fail_msg("'%s' is not one line", err);
    printf("  %s\n", err);
}

static void test_bad_lists_refused(void **state)
{
    (void)state;
    expect("{\"clips\": []}", "data/audio", "\"clips\" is empty");
    expect("{\"clips\": [], \"grammar_errors\": [" ERR1 "]}", "data/audio", "\"clips\" is empty");
    expect("{\"clips\": {}}", "data/audio", "must be lists");
    expect("{\"clips\": [" ONE "], \"grammar_errors\": 1}", "data/audio", "must be lists");
    expect("{\"clips\": [7]}", "data/audio", "clips[0] is not an object");
    expect("{\"clips\": [{\"id\": \"\", \"sentence\": \"I work\", \"file\": \"a.wav\"}]}", "data/audio",
           "clips[0] needs an \"id\" of 1 to 32");
    expect("{\"clips\": [{\"sentence\": \"I work\", \"file\": \"a.wav\"}]}", "data/audio", "clips[0] needs an \"id\"");
    expect("{\"clips\": [{\"id\": \"../x\", \"sentence\": \"I work\", \"file\": \"a.wav\"}]}", "data/audio",
           "needs an \"id\"");
    expect("{\"clips\": [{\"id\": \"123456789012345678901234567890123\", \"sentence\": \"I\", \"file\": \"a.wav\"}]}",
           "data/audio", "needs an \"id\"");
    expect("{\"clips\": [{\"id\": \"01\", \"sentence\": \"\", \"file\": \"a.wav\"}]}", "data/audio",
           "clip \"01\": \"sentence\" is missing or empty");
    expect("{\"clips\": [{\"id\": \"01\", \"sentence\": \" \\t \", \"file\": \"a.wav\"}]}", "data/audio",
           "clip \"01\": \"sentence\" is missing or empty");
    expect("{\"clips\": [{\"id\": \"01\", \"sentence\": \"I work\"}]}", "data/audio", "clip \"01\": \"file\" is missing");
    expect("{\"clips\": [" ONE "], \"grammar_errors\": [{\"id\": \"e1\", \"sentence\": \"he work\", \"file\": \"a.wav\"}]}",
           "data/audio", "clip \"e1\": \"correct\" is missing or empty");
    expect("{\"clips\": [" ONE ", " ONE "]}", "data/audio", "clip id \"01\" appears twice");
    expect("{\"clips\": [" ONE "], \"grammar_errors\": [{\"id\": \"01\", \"sentence\": \"he work\", \"correct\": \"he works\", "
           "\"file\": \"a.wav\"}]}", "data/audio", "clip id \"01\" appears twice");
    expect("{\"clips\": [{\"id\": \"01\", \"sentence\": \"I work\", \"file\": \"clip_\xff.wav\"}]}", "data/audio",
           "clip \"01\": \"file\" is not valid UTF-8");
    expect("{\"clips\": [{\"id\": \"01\", \"sentence\": \"I w\xc3\", \"file\": \"a.wav\"}]}", "data/audio",
           "clip \"01\": \"sentence\" is not valid UTF-8");
    expect("{\"clips\": [{\"id\": \"01\", \"sentence\": \"I work\", \"file\": \"a.wav\", \"tense\": \"\xed\xa0\x80\"}]}",
           "data/audio", "clip \"01\": \"tense\" is not valid UTF-8"); /* a surrogate */
    expect("{\"clips\": [" ONE "]}", "data/\xc0\xafx", "the audio folder's name is not valid UTF-8"); /* overlong */
    expect("{\"clips\": [" ONE "]} x", "data/audio", "text after the JSON object");
}

static void test_good_lists_accepted(void **state)
{
    (void)state;
    expect("{\"clips\": [" ONE "]}", "data/audio", NULL);
    expect("{\"clips\": [" ONE "], \"grammar_errors\": [" ERR1 "]}", "data/audio", NULL);
    expect("{\"clips\": [{\"id\": \"a-b_9\", \"sentence\": \"na\xc3\xafve \xf0\x9f\x98\x80\", \"file\": \"\xc3\xa9.wav\"}]}",
           "data/audio", NULL);
    char err[1024];
    cJSON *spec = clip_list_read("data/clips.json", "data/audio", err, sizeof err);
    if (!spec) fail_msg("the committed list: %s", err);
    cJSON_Delete(spec);
}

static int run(char *msg, size_t len, const char *cmd)
{
    char full[4096];
    snprintf(full, sizeof full, "( %s ) >" DIR "/out.txt 2>" DIR "/err.txt", cmd);
    int st = system(full);
    FILE *f = fopen(DIR "/err.txt", "r");
    int lines = 0;
    msg[0] = 0;
    for (char line[2048]; f && fgets(line, sizeof line, f);) snprintf(msg, len, "%s", line), lines++;
    if (f) fclose(f);
    msg[strcspn(msg, "\n")] = 0;
    printf("  %s\n", msg);
    return WIFEXITED(st) && lines == 1 ? WEXITSTATUS(st) : -1;
}

/* The lab binary: one line, exit 1, no report folder. */
static void test_lab_refuses(void **state)
{
    (void)state;
    const char *b = getenv("WL_BIN") && *getenv("WL_BIN") ? getenv("WL_BIN") : "build";
    char cmd[2048], msg[2048];
    struct stat st;
    write_list("{\"clips\": []}");
    snprintf(cmd, sizeof cmd, "%s/lab --clips " LIST " --audio data/audio --out " DIR "/report --model "
             "build/whisper-micro.en", b);
    assert_int_equal(run(msg, sizeof msg, cmd), 1);
    assert_non_null(strstr(msg, LIST ": \"clips\" is empty"));
    assert_int_not_equal(stat(DIR "/report/run.json", &st), 0);
    /* a model folder named with a byte that is not UTF-8 */
    write_list("{\"clips\": [" ONE "]}");
    assert_int_equal(system("ln -sfn \"$PWD/build/whisper-micro.en\" " DIR "/m$(printf '\\377')"), 0);
    snprintf(cmd, sizeof cmd, "%s/lab --clips " LIST " --audio data/audio --out " DIR "/report --model "
             DIR "/m$(printf '\\377')", b);
    assert_int_equal(run(msg, sizeof msg, cmd), 1);
    assert_non_null(strstr(msg, "the model folder's name is not valid UTF-8"));
    assert_int_not_equal(stat(DIR "/report/run.json", &st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_lists_refused),
        cmocka_unit_test(test_good_lists_accepted),
        cmocka_unit_test(test_lab_refuses),
    };
    return cmocka_run_group_tests_name("the lab's clip list", tests, setup, NULL);
}
