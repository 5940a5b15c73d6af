#!/usr/bin/env bash
# Runs the product locally: Azurite (data in .azurite/) and the function app on http://127.0.0.1:7071.
# Today the function app is the Urumi.Durable samples app; the store control plane (Urumi.Functions) and its
# dashboard replace it when they land. Stop with Ctrl+C: everything this script started is stopped.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/eng/install-tools.sh"
port="${URUMI_PORT:-7071}"
app="samples/Urumi.Durable.Samples"

if [ ! -f "$app/local.settings.json" ]; then
  key="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  sed "s/__GENERATED_ADMIN_KEY__/$key/" local.settings.json.example > "$app/local.settings.json"
  echo "created $app/local.settings.json with a new admin key"
fi

mkdir -p .azurite
"$root/.tools/node_modules/.bin/azurite" --silent --skipApiVersionCheck --loose --location .azurite \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 > .azurite/azurite.log 2>&1 &
azurite=$!
trap 'kill $azurite 2>/dev/null; wait $azurite 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/10002) 2>/dev/null && break; sleep 0.2; done
(echo > /dev/tcp/127.0.0.1/10002) 2>/dev/null || { echo "error: Azurite did not start; see .azurite/azurite.log" >&2; exit 1; }
echo "Azurite on 127.0.0.1:10000-10002 (data in .azurite/)"
echo "function app on http://127.0.0.1:$port (admin key: Auth:AdminKey in $app/local.settings.json)"
(cd "$app" && dotnet run -c Release -- --urls "http://127.0.0.1:$port")
