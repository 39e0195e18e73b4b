#!/usr/bin/env bash
# Install playground into ./.venv on a fresh Debian/Ubuntu machine (or any machine with Python >= 3.10).
#   bash packaging/install.sh          the app
#   bash packaging/install.sh --test   the app and its test tools
# torch==2.13.0 goes in first: a bare "torch" requirement would pull a multi-GB CUDA build where no
# CPU build is at hand; pyproject.toml itself only asks for torch>=2.2.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
[[ "${1:-}" == "--test" ]] && extras="[test]"

python=${PYTHON:-python3}
if ! "$python" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 10)' 2>/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -q && apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip
    else
        echo "install.sh: needs Python >= 3.10 with venv (Debian: sudo apt-get install python3-venv)" >&2
        exit 1
    fi
fi
[[ -x .venv/bin/python ]] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==${TORCH_VERSION:-2.13.0}"
.venv/bin/python -m pip install -q -e ".$extras"
echo "installed: $(.venv/bin/python -c 'import torch, playground; print("playground", playground.__version__, "torch", torch.__version__)')"
