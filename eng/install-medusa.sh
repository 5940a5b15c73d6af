#!/usr/bin/env bash
# Installs what the Medusa suite (Urumi.Medusa.Tests) needs to run images/medusa without containers (idempotent):
#   PostgreSQL 15, Redis 7.0 and ShellCheck 0.9 from Debian 12 (bookworm), checked against those versions;
#   images/medusa's dependencies with `npm ci` from its committed package-lock.json, in <cache>/deps-<lock hash>;
#   the app built with `medusa build` as the image does, in <cache>/app-<sources hash>.
# <cache> is $URUMI_CACHE/medusa (default ~/.cache/urumi/medusa): outside the checkout, so that a second run on the
# same machine reuses both, also from a fresh clone (as CI's). Prints the built app's directory on the last line.
# Usage: eng/install-medusa.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
app_src="$root/images/medusa"
cache="${URUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/urumi}/medusa"
mkdir -p "$cache"

# The distribution's versions: the package names pin the major version, the check below the minor one.
debian_packages=(postgresql-15 redis-server shellcheck)
missing=()
for package in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "error: run as root or install with apt-get: ${missing[*]}" >&2; exit 1; }
  echo "installing from Debian: ${missing[*]}" >&2
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
expect_version() { # <package> <version prefix>
  local found
  found="$(dpkg-query -W -f='${Version}' "$1")"
  case "$found" in "$2"*) ;; *) echo "error: $1 is $found, expected $2*" >&2; exit 1;; esac
}
expect_version postgresql-15 15.
expect_version redis-server 5:7.0.
expect_version shellcheck 0.9.

hash_of() { sha256sum | cut -c1-16; }
lock_hash="$(hash_of < "$app_src/package-lock.json")"
deps="$cache/deps-$lock_hash"
if [ ! -f "$deps/.complete" ]; then
  echo "npm ci for images/medusa (lockfile $lock_hash)" >&2
  rm -rf "$deps"
  mkdir -p "$deps"
  cp "$app_src/package.json" "$app_src/package-lock.json" "$deps/"
  (cd "$deps" && npm ci --no-audit --no-fund --loglevel=error >&2)
  touch "$deps/.complete"
fi

# The build depends on the app's sources and the dependencies (not on the Dockerfile or the README).
sources_hash="$( (cd "$app_src" && find . -type f ! -path './node_modules/*' ! -path './.medusa/*' \
  ! -name Dockerfile ! -name .dockerignore ! -name README.md -print0 | sort -z | xargs -0 sha256sum) | hash_of)"
app="$cache/app-$sources_hash"
if [ ! -f "$app/.complete" ]; then
  echo "medusa build of images/medusa (sources $sources_hash)" >&2
  build="$(mktemp -d "$cache/build.XXXXXX")"
  tar -C "$app_src" --exclude=./node_modules --exclude=./.medusa -cf - . | tar -C "$build" -xf -
  ln -s "$deps/node_modules" "$build/node_modules"
  (cd "$build" && ./node_modules/.bin/medusa build >&2)
  rm -rf "$app"
  mv "$build/.medusa/server" "$app"
  rm -rf "$build"
  # The image installs the production dependencies here (npm ci --omit=dev); the suite links the installed ones.
  ln -s "$deps/node_modules" "$app/node_modules"
  touch "$app/.complete"
fi

# Keep only the current install and build.
for old in "$cache"/deps-* "$cache"/app-*; do
  [ "$old" = "$deps" ] || [ "$old" = "$app" ] || rm -rf "$old"
done
echo "$app"
