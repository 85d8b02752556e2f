#!/usr/bin/env bash
# Installs the Debian packages EphemeralML needs to build and test. Idempotent:
# when every package is already installed it does nothing (no network).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build clang libclang-rt-14-dev
  libssl-dev libsodium-dev pkg-config nlohmann-json3-dev libutf8proc-dev libopenblas-dev libdnnl-dev
  libgtest-dev libgmock-dev libcli11-dev python3
  libcurl4-openssl-dev curl
)
# The S3 storage test runs s3rver from npm. Debian's nodejs ships npm as a
# separate package, NodeSource's bundles it: ask for them only when npm is missing.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install_deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
