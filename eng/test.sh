#!/usr/bin/env bash
# Runs every test: installs the pinned tools, builds in Release, runs all test projects (unit tests on the
# in-memory backend, integration and kill -9 tests on an Azurite the tests start themselves), and ends with
#   tests: N passed, N failed, N skipped
# Exit code: 0 when everything passed.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/eng/install-tools.sh" || exit 1

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
dotnet test Urumi.sln -c Release --no-build --nologo --logger "console;verbosity=normal" --results-directory "$results" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Sum the per-assembly summaries: "Passed!  - Failed:     0, Passed:    22, Skipped:     0, Total:    22, ..."
read -r passed failed skipped < <(grep -E "^(Passed|Failed)! +- Failed: " "$log" | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
assemblies=$(grep -cE "^(Passed|Failed)! +- Failed: " "$log")
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
