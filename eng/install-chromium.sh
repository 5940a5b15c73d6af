#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser tests (browsers cannot be downloaded by Playwright here).
# Idempotent; needs root or sudo. Usage: eng/install-chromium.sh
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing Debian's chromium for the browser tests"
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
