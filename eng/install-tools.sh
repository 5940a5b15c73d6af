#!/usr/bin/env bash
# Installs the pinned tools Urumi needs into .tools/ (idempotent): Azurite from npm.
# Usage: eng/install-tools.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools"

need() { command -v "$1" >/dev/null 2>&1 || { echo "error: $1 is required but not installed ($2)" >&2; exit 1; }; }
need dotnet "install the .NET 10 SDK"
need node "install Node.js 20 or later"
need npm "install npm"

azurite_version="$(node -p "require('$root/eng/tools/package.json').dependencies.azurite")"
if [ ! -x "$tools/node_modules/.bin/azurite" ] || [ "$(node -p "require('$tools/node_modules/azurite/package.json').version" 2>/dev/null)" != "$azurite_version" ]; then
  echo "installing azurite $azurite_version into .tools/"
  cp "$root/eng/tools/package.json" "$root/eng/tools/package-lock.json" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
echo "azurite $(node -p "require('$tools/node_modules/azurite/package.json').version") at $tools/node_modules/.bin/azurite"
