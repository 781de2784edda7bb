#!/usr/bin/env bash
# Installs every Debian package wick's build and tests need. Idempotent: when
# everything is already present it checks and returns in about a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  llvm-19-dev libmlir-19-dev mlir-19-tools
  libfmt-dev libgtest-dev libzip-dev zlib1g-dev
  libdnnl-dev libopenblas-dev
  python3-torch python3-torchvision python3-numpy python3-matplotlib
  libtorch-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
