#!/usr/bin/env bash
# Installs the Debian packages whisperlab builds and tests with; does nothing when all are
# present. Safe to run any number of times.
set -euo pipefail

PACKAGES=(
  gcc make pkg-config
  libopenblas-dev   # matrix products when chosen instead of oneDNN's (tests, comparisons)
  libdnnl-dev       # matrix products (dnnl_sgemm: kernels generated for the CPU it runs on)
  libfftw3-dev      # the log-mel STFT
  libsndfile1-dev   # reading and writing audio files
  libsoxr-dev       # resampling to 16 kHz
  libcjson-dev      # JSON: configs, safetensors headers, reports
  libcairo2-dev fonts-dejavu-core  # the report's heatmaps (cairo draws, DejaVu Sans labels)
  libpng-dev        # the heatmaps written as PNG (libpng: filter and zlib level chosen)
  libcmocka-dev     # unit tests
  libxml2-dev       # make verify's JUnit XML: written with xmlTextWriter, checked by test_junit
  libxml2-utils     # xmllint: make verify checks its JUnit XML against tests/junit.xsd
  libssl-dev        # SHA256 of models, clips and goldens
  espeak-ng libespeak-ng-dev  # speaking the lab clips
  valgrind          # make valgrind: memcheck of the command
  clang libclang-rt-dev  # make fuzz: libFuzzer with ASan + UBSan
  linux-perf        # make profile
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: not root; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
