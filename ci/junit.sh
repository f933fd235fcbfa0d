#!/usr/bin/env bash
# make verify's last step, run whatever the tests gave: build/verify/junit.xml from this run
# (ci/run-tests.sh's build/logs/runs.tsv and the logs beside it) and the golden-suite tables in
# build/verify/, checked against tests/junit.xsd with xmllint before it takes its name (one
# that does not validate stays as junit.unchecked.xml, for a look). Exits non-zero, saying why,
# when the XML cannot be written or does not validate. Usage: ci/junit.sh BIN (build, build/san).
set -uo pipefail
bin=${1:-build}
out=build/verify/junit.xml
new=build/verify/junit.unchecked.xml
rm -f "$out" "$new"
if ! "$bin/junit_report" --runs build/logs/runs.tsv --tables build/verify --out "$new"; then
  echo "make verify: no JUnit XML written (the line above says why)" >&2
  exit 1
fi
if ! report=$(xmllint --noout --schema tests/junit.xsd "$new" 2>&1); then
  echo "$report" >&2
  echo "make verify: $new does not match the JUnit schema tests/junit.xsd (xmllint above); no $out" >&2
  exit 1
fi
mv "$new" "$out" && echo "junit: $out matches tests/junit.xsd"
