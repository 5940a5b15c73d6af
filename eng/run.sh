#!/usr/bin/env bash
# Runs the product locally: Azurite (data in .azurite/) and the Urumi control plane on http://127.0.0.1:7071.
# The cluster is your current kubeconfig context when it answers (kind, k3s, AKS), otherwise an in-process
# simulated cluster (Urumi.KubeSim), which the log and GET /api/info announce. The dashboard (built into
# dashboard/dist by eng/build-dashboard.sh) is served at the same address. Stop with Ctrl+C: everything this
# script started is stopped.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/eng/install-tools.sh"
"$root/eng/build-dashboard.sh"
port="${URUMI_PORT:-7071}"

if [ ! -f local.settings.json ]; then
  key="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  demo="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  sed -e "s/__GENERATED_ADMIN_KEY__/$key/" -e "s/__GENERATED_DEMO_KEY__/$demo/" local.settings.json.example > local.settings.json
  echo "created local.settings.json with a new admin key and a key for the owner 'demo'"
fi

mkdir -p .azurite
"$root/.tools/node_modules/.bin/azurite" --silent --skipApiVersionCheck --loose --disableTelemetry --location .azurite \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 > .azurite/azurite.log 2>&1 &
azurite=$!
trap 'kill $azurite 2>/dev/null; wait $azurite 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/10002) 2>/dev/null && break; sleep 0.2; done
(echo > /dev/tcp/127.0.0.1/10002) 2>/dev/null || { echo "error: Azurite did not start; see .azurite/azurite.log" >&2; exit 1; }
echo "Azurite on 127.0.0.1:10000-10002 (data in .azurite/)"
echo "control plane on http://127.0.0.1:$port (keys: Auth:AdminKey and Auth:Keys:demo in local.settings.json)"
echo "dashboard on http://127.0.0.1:$port/ (sign in with one of those keys)"
dotnet run -c Release --project Urumi.Functions -- --urls "http://127.0.0.1:$port"
