#!/usr/bin/env bash
# Runs every test: installs the pinned tools (eng/install-tools.sh, eng/install-medusa.sh), builds in Release, runs
# all test projects (unit tests, integration and kill -9 tests on the real Durable Task engine over an Azurite the
# tests start themselves, the dashboard in Debian's chromium, the Medusa store on Debian's PostgreSQL and Redis), and ends with
#   tests: N passed, N failed, N skipped
# Exit code: 0 when everything passed.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
"$root/eng/install-tools.sh" || exit 1
# PostgreSQL, Redis and ShellCheck from Debian, images/medusa installed and built (cached under .tools/medusa).
"$root/eng/install-medusa.sh" >/dev/null || exit 1
"$root/eng/install-chromium.sh" || exit 1
"$root/eng/build-dashboard.sh" || { echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1; }

results="$root/TestResults"
rm -rf "$results"
mkdir -p "$results"
log="$results/test-output.log"
dotnet build Urumi.sln -c Release --nologo -v quiet 2>&1 | tee "$results/build.log" | grep -E "error|Warn|Elapsed" || true
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
  echo "build failed (see $results/build.log)" >&2
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
dotnet test Urumi.sln -c Release --no-build --nologo --logger "console;verbosity=normal" --logger trx --results-directory "$results" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The dashboard's unit and component tests (Vitest, JUnit report) and its bundle budget.
(cd "$root/dashboard" && URUMI_JUNIT="$results/dashboard-junit.xml" npx vitest run 2>&1) | tee "$results/dashboard-test.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# Sum the counters of every test assembly's TRX report. A skipped test is counted in total but not in executed
# (some loggers also count it as notExecuted): skipped = the larger of the two.
counter() { sed -nE "s/.*<Counters [^>]*\b$1=\"([0-9]+)\".*/\1/p" "$2"; }
passed=0 failed=0 skipped=0 assemblies=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  assemblies=$((assemblies + 1))
  passed=$((passed + $(counter passed "$trx")))
  failed=$((failed + $(counter failed "$trx") + $(counter error "$trx") + $(counter timeout "$trx") + $(counter aborted "$trx")))
  notrun=$(( $(counter total "$trx") - $(counter executed "$trx") ))
  notexecuted=$(counter notExecuted "$trx")
  skipped=$((skipped + (notrun > notexecuted ? notrun : notexecuted)))
done
# JUnit (Vitest): <testsuites tests= failures= errors= skipped=>.
junit() { sed -nE "0,/<testsuites /s/.*<testsuites [^>]*\b$1=\"([0-9]+)\".*/\1/p" "$2"; }
for xml in "$results"/*-junit.xml; do
  [ -f "$xml" ] || continue
  assemblies=$((assemblies + 1))
  total=$(junit tests "$xml"); bad=$(( $(junit failures "$xml") + $(junit errors "$xml") )); skip=$(junit skipped "$xml")
  skip=${skip:-0}
  passed=$((passed + total - bad - skip)); failed=$((failed + bad)); skipped=$((skipped + skip))
done
# Name every failed test again at the end, with the head of its message, where a reader of the log's tail looks first.
python3 "$root/eng/failed-tests.py" "$results"/*.trx "$results"/*-junit.xml
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $status but reported no failed test (a test host crashed?): counting it as a failure" >&2
  failed=1
fi
if [ "$assemblies" -eq 0 ]; then
  echo "no test assembly reported results" >&2
  failed=$((failed + 1))
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
