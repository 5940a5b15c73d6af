#!/usr/bin/env bash
# Builds the dashboard (dashboard/, React + Vite) into dashboard/dist, which the control plane serves at `/`.
# Installs its pinned packages with `npm ci` when the lock changed; skips the build when dist/ is newer than every
# source. Usage: eng/build-dashboard.sh [--force]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/dashboard"
if [ ! -f node_modules/.urumi-installed ] || [ package-lock.json -nt node_modules/.urumi-installed ]; then
  echo "installing the dashboard's pinned npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  touch node_modules/.urumi-installed
fi
if [ "${1:-}" != "--force" ] && [ -f dist/index.html ] \
  && [ -z "$(find src index.html package-lock.json vite.config.ts tsconfig.json -newer dist/index.html -print -quit)" ]; then
  echo "dashboard: dist/ is up to date"
  exit 0
fi
echo "building the dashboard into dashboard/dist"
npm run --silent build >/dev/null
echo "dashboard built: $(du -sh dist | cut -f1) in dashboard/dist"
