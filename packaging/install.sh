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
# Qt's system libraries (Qt itself comes from PyPI); fonts, or text renders as empty boxes
qt_libs="libgl1 libegl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0
         fontconfig-config fonts-dejavu-core"
# the tests also check the installers' files: the .desktop entry and the Windows installer script
if [[ -n "$extras" ]]; then qt_libs="$qt_libs desktop-file-utils nsis"; fi
if command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; then
    # shellcheck disable=SC2086
    missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $qt_libs 2>&1 | grep -v '^ii ' | awk '{print $NF}' || true)
    if [[ -n "$missing" ]]; then
        if [[ $(id -u) == 0 ]]; then
            apt-get update -q && apt-get install -y -q --no-install-recommends $qt_libs
        else
            echo "install.sh: Qt needs these system packages: sudo apt-get install $qt_libs" >&2
        fi
    fi
fi
[[ -x .venv/bin/python ]] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==${TORCH_VERSION:-2.13.0}"
.venv/bin/python -m pip install -q -e ".$extras"
if [[ -n "$extras" ]]; then
    # tests compare our ImageNet networks with torchvision's own classes; its wheel is built for CUDA
    # torch, so it goes in without its dependencies and the test imports it without its compiled ops
    .venv/bin/python -m pip install -q --no-deps "torchvision==${TORCHVISION_VERSION:-0.28.0}"
fi
echo "installed: $(.venv/bin/python -c 'import torch, playground; print("playground", playground.__version__, "torch", torch.__version__)')"
