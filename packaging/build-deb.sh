#!/usr/bin/env bash
# Build the Linux installer: a one-folder PyInstaller bundle and a .deb that puts it under /opt.
#   bash packaging/build-deb.sh            -> dist/playground/ and dist/playground_<version>_amd64.deb
# A clean build venv (build/bundle-venv) gets torch==2.13.0 (the CPU build), PyInstaller and the app.
# The .deb is zstd -19: 40 MB smaller than zstd's default level for about 3 more minutes of build
# (measured here: 227 MB at -3 in 3 s, 187 MB at -19 in 196 s, xz 175 MB in 398 s); bookworm's dpkg
# reads zstd. DEB_ZSTD_LEVEL=3 for a quick local build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' playground/__init__.py)
[[ -n "$version" ]] || { echo "build-deb.sh: no __version__ in playground/__init__.py" >&2; exit 1; }
python=${PYTHON:-python3}
started=$(date +%s)

rm -rf build/bundle-venv build/pyinstaller dist/playground
"$python" -m venv build/bundle-venv
venv=build/bundle-venv/bin
"$venv/python" -m pip install -q --upgrade pip
"$venv/python" -m pip install -q "torch==${TORCH_VERSION:-2.13.0}"
"$venv/python" -m pip install -q "pyinstaller==${PYINSTALLER_VERSION:-6.22.3}" .
"$venv/pyinstaller" --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/playground.spec
internal=dist/playground/_internal
for library in $("$venv/python" -c 'import sys; sys.path.insert(0, "packaging"); import bundle_rules; print(*bundle_rules.STRIPPED)'); do
    strip --strip-unneeded "$internal/$library"
done
echo "bundle: $(du -sh dist/playground | cut -f1) in dist/playground"

stage=build/deb/playground
rm -rf build/deb
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" "$stage/usr/share/icons"
cp -a dist/playground "$stage/opt/playground"
cat > "$stage/usr/bin/playground" <<'SH'
#!/bin/sh
exec /opt/playground/playground "$@"
SH
chmod 755 "$stage/usr/bin/playground"
cp packaging/linux/playground.desktop "$stage/usr/share/applications/"
cp -r packaging/icons/hicolor "$stage/usr/share/icons/"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$size/" packaging/linux/control.in > "$stage/DEBIAN/control"
deb=dist/playground_${version}_amd64.deb
dpkg-deb --root-owner-group -Zzstd -z"${DEB_ZSTD_LEVEL:-19}" --build "$stage" "$deb" >/dev/null
echo "deb: $(du -h "$deb" | cut -f1) $deb (installed $((size / 1024)) MB), built in $(( $(date +%s) - started )) s"
