#!/bin/sh
# The README's set-up: the system packages of the torch engine where apt-get is there (Debian/Ubuntu),
# then the workspace (npm ci). The engine is optional: without libtorch atkd runs on WebAssembly, so
# a machine without apt-get (or without root or sudo) gets a note, not a failure.
# Elsewhere, point the build at a pip-installed PyTorch: ATKD_LIBTORCH=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')
set -u
PACKAGES="g++ make python3 libtorch-dev"
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
  if [ "$SUDO" = none ]; then
    echo "setup: not root and no sudo: skipping apt-get install $PACKAGES (the torch engine); atkd will run on WebAssembly" >&2
  elif ! { $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $PACKAGES; } >/dev/null; then
    echo "setup: apt-get install $PACKAGES failed: the torch engine will be missing; atkd will run on WebAssembly" >&2
  fi
else
  echo "setup: no apt-get: install libtorch yourself (or set ATKD_LIBTORCH) for the torch engine; atkd will run on WebAssembly" >&2
fi
exec npm ci --no-audit --no-fund
