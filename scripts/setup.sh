#!/usr/bin/env bash
# Sets up everything posttrain needs on a Debian 12 machine, idempotently (as root, or with sudo):
#   Debian packages (libtorch, OpenBLAS, compilers), npm dependencies, the native addon, TypeScript.
# Each step is skipped when it is already done, so running it before every command is cheap. In an
# installed package (node_modules/posttrain, no src/) it installs the Debian packages and builds the addon.
#   bash scripts/setup.sh           what the library, CLI and tests need
#   bash scripts/setup.sh --bench   also Debian's python3-torch, the PyTorch yardstick of `npm run bench`
#   bash scripts/setup.sh --test    also Debian's chromium (the web-page tests' browser) and python3-torch (torchrun)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libtorch-dev libgloo-dev libopenblas0-pthread g++ make bubblewrap)
[[ "${1:-}" == "--bench" ]] && packages+=(python3-torch)
[[ "${1:-}" == "--test" ]] && packages+=(chromium python3-torch)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
  echo "setup: posttrain needs Node.js >= 20 (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# an installed package (npm install <path or tarball>) ships its compiled JavaScript: only the addon is built
if [[ ! -d src ]]; then
  make -s -C native -j2
  exit 0
fi

if [[ ! -d node_modules || package.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm install"
  npm install --no-audit --no-fund --loglevel=error
fi

make -s -C native -j2          # incremental: rebuilds only changed translation units
npx tsc -p .
chmod +x dist/src/cli/main.js
