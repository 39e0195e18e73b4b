#!/usr/bin/env bash
# Compile packaging/windows/playground.nsi against a stand-in bundle, to catch script errors on any
# machine with NSIS (Debian/Ubuntu: apt-get install nsis). Nothing is installed or run: it only
# checks that makensis builds an installer. Exit 0 when it does; 77 (skipped) when makensis is
# missing.
#   packaging/windows/check.sh            # quiet
#   VERBOSE=1 packaging/windows/check.sh  # and makensis's full log
# It also fails when makensis warns, or when the Start Menu shortcut does not start playgroundw.exe.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if ! command -v makensis >/dev/null 2>&1; then
    echo "check.sh: makensis not found (apt-get install nsis); skipped" >&2
    exit 77
fi
version="$(sed -n 's/^__version__ *= *["'\'']\([^"'\'']*\)["'\''].*/\1/p' "$root/playground/__init__.py")"
[[ -n "$version" ]] || { echo "check.sh: no __version__ in playground/__init__.py" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bundle="$tmp/playground"  # what PyInstaller's one-folder build looks like, in miniature
mkdir -p "$bundle/_internal/torch/lib" "$bundle/_internal/PySide6/plugins/platforms" "$bundle/_internal/resources/presets"
printf 'MZ stand-in for playground.exe\n' >"$bundle/playground.exe"
printf 'MZ stand-in for playgroundw.exe\n' >"$bundle/playgroundw.exe"  # the spec's windowed twin
printf 'stand-in\n' >"$bundle/_internal/python3.dll"
printf 'stand-in\n' >"$bundle/_internal/torch/lib/c10.dll"
printf 'stand-in\n' >"$bundle/_internal/PySide6/plugins/platforms/qwindows.dll"
printf '{}\n' >"$bundle/_internal/resources/presets/default.json"
printf 'file with spaces\n' >"$bundle/_internal/a file with spaces.txt"

out="$tmp/playground-setup.exe"
log="$tmp/makensis.log"
if ! makensis -V4 -DVERSION="$version" -DSOURCE="$bundle" -DEXE=playground.exe \
        -DOUTFILE="$out" "$here/playground.nsi" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "check.sh: makensis failed" >&2
    exit 1
fi
[[ -n "${VERBOSE:-}" ]] && cat "$log"
[[ -s "$out" ]] || { echo "check.sh: makensis wrote no installer" >&2; exit 1; }
# shellcheck disable=SC2016  # NSIS's own variables, as its log prints them
if ! grep -qF 'CreateShortcut: "$SMPROGRAMS\Neural Network Playground.lnk"->"$INSTDIR\playgroundw.exe"' "$log"; then
    echo "check.sh: the Start Menu shortcut does not start playgroundw.exe" >&2
    exit 1
fi
if grep -qE '^warning|^[0-9]+ warnings?:' "$log"; then
    grep -E -A3 '^[0-9]+ warnings?:' "$log" >&2
    echo "check.sh: makensis warned" >&2
    exit 1
fi
echo "check.sh: playground.nsi compiles (version $version, $(stat -c %s "$out") byte installer)"
