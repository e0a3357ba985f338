#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian 12 machine (servers included) and runs the whole suite.
# Prints a final "N passed, N failed" line and exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
# The newer server majors and the image's client tools (a Debian trixie root; cached, seconds when it exists).
rootfs_started=$(date +%s)
bash scripts/make-test-rootfs.sh >/dev/null
echo "test-all: the image's root filesystem is ready ($(($(date +%s) - rootfs_started)) s)"
npm ci --no-audit --no-fund
npx tsc --noEmit
# Formatting and lint: zero findings, or the run fails (after the tests, so one run shows both).
lint=0
npm run --silent lint || lint=$?

mkdir -p .tmp
report=.tmp/vitest-report.json
rm -f "$report"
status=0
SAFEHOLD_IMAGE_TESTS="${SAFEHOLD_IMAGE_TESTS:-1}" npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@" || status=$?

if [ ! -s "$report" ]; then
  echo "0 passed, 1 failed (vitest wrote no report; exit $status)"
  exit 1
fi
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : "") + (r.numFailedTestSuites ? ` (${r.numFailedTestSuites} suite(s) with a failure)` : ""));
  process.exit(r.numFailedTests > 0 || r.numFailedTestSuites > 0 || !r.success ? 1 : 0);
' "$report" || status=1
if [ "$lint" -ne 0 ]; then
  echo "test-all: npm run lint found problems (exit $lint): run \`npm run lint:fix\` (it formats only ts/js/mjs: a prettier run over test/ or docs/ would rewrite YAML snapshots and tables) and fix what remains"
  status=1
fi
exit "$status"
