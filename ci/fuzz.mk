# libFuzzer targets for every parser of untrusted input (tests/fuzz/fuzz_<target>.c), included at
# the end of the Makefile. Built with clang under ASan + UBSan into build/fuzz/, never mixed with
# the gcc objects in build/obj; ci/fuzz.sh makes the seed corpora and runs them.
#   make fuzz FUZZ_SECONDS=N   each target N seconds (default 60), one after another; summary in
#                              build/fuzz/summary.txt; fails if any target crashes
#   make fuzz-smoke            replay tests/fuzz/regressions/ and seeds/, then 10 s per target (CI)
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_OUT     := $(BUILD)/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_OUT)/bin/%)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The project's flags without any sanitizer of SANITIZE=1 (these replace them).
FUZZ_CFLAGS  := $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) $(FUZZ_SAN)
FUZZ_PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
FUZZ_LDLIBS     = $(shell pkg-config --libs $(PKGS)) -lm
# The engine's readers and what they call, and the golden reader (with diff.c), instrumented for
# coverage (fuzzer-no-link). Only these: the compute kernels are not fuzzed.
FUZZ_ENGINE  := util json_file safetensors config gen_config model_path audio tokenizer bpe detokenize strmap \
                unicode_classes sha256 strbuf
FUZZ_LIB_SRC := $(foreach e,$(FUZZ_ENGINE),$(filter %/$(e).c,$(ENGINE_SRC))) tests/golden.c tests/diff.c
FUZZ_LIB     := $(FUZZ_OUT)/libwhisperlab-fuzz.a

.PHONY: fuzz fuzz-smoke fuzz-build

fuzz-build: $(FUZZ_BINS) $(FUZZ_OUT)/make_seeds

fuzz: fuzz-build micro ## build the libFuzzer targets and run each FUZZ_SECONDS (60) s; summary in build/fuzz/
	@bash ci/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build micro ## replay the fuzz regression inputs and seeds, then 10 s per target (CI)
	@bash ci/fuzz.sh smoke 10 $(FUZZ_TARGETS)

$(FUZZ_OUT)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_PKG_CFLAGS) -MMD -MP -c $< -o $@

# ci/fuzz.mk too: under the Makefile's .SECONDARY, an object added to the list would not be built.
$(FUZZ_LIB): $(FUZZ_LIB_SRC:%.c=$(FUZZ_OUT)/obj/%.o) ci/fuzz.mk
	@rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

$(FUZZ_OUT)/bin/%: $(FUZZ_OUT)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ $(FUZZ_LDLIBS) -o $@

$(FUZZ_OUT)/make_seeds: $(FUZZ_OUT)/obj/tests/fuzz/make_seeds.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SAN) $^ $(FUZZ_LDLIBS) -o $@

-include $(shell find $(FUZZ_OUT)/obj -name '*.d' 2>/dev/null)
