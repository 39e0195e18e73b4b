#!/usr/bin/env bash
# Make the macOS disk image from the PyInstaller app bundle: dist/playground-<version>-macos-<arch>.dmg
# holding Playground.app and a link to /Applications to drag it onto. macOS only (hdiutil, codesign,
# xcrun are Apple's); see packaging/macos/README.md for the whole build.
#
#   bash packaging/macos/make-dmg.sh                  # unsigned: for your own Mac, or a test
#   CODESIGN_IDENTITY="Developer ID Application: NAME (TEAMID)" \
#   NOTARY_PROFILE=playground-notary bash packaging/macos/make-dmg.sh   # what users download
#
# Environment:
#   APP                the app bundle (default dist/Playground.app)
#   CODESIGN_IDENTITY  sign every binary, the app (hardened runtime, entitlements.plist) and the
#                      image with this identity; unset: the app keeps PyInstaller's ad-hoc signature
#   NOTARY_PROFILE     with CODESIGN_IDENTITY: notarize the image with `xcrun notarytool` using this
#                      keychain profile (made once with `xcrun notarytool store-credentials`), then
#                      staple the ticket to it
#   DMG_FORMAT         hdiutil's image format (default ULMO: LZMA, macOS 10.15 and later; the app
#                      needs macOS 11 anyway); UDZO for zlib
#   SMOKE=0            skip running the (signed) app before packing it
set -euo pipefail
cd "$(dirname "$0")/../.."
here=packaging/macos

if [[ "$(uname -s)" != Darwin ]]; then
    echo "make-dmg.sh: runs on macOS only (hdiutil, codesign); see packaging/macos/README.md" >&2
    exit 1
fi
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' playground/__init__.py)
[[ -n "$version" ]] || { echo "make-dmg.sh: no __version__ in playground/__init__.py" >&2; exit 1; }
app=${APP:-dist/Playground.app}
exe="$app/Contents/MacOS/playground"
[[ -x "$exe" ]] || { echo "make-dmg.sh: no $exe: build it first (pyinstaller packaging/playground.spec)" >&2; exit 1; }
arch=$(lipo -archs "$exe" 2>/dev/null | tr ' ' '-' || uname -m)
dmg="dist/playground-${version}-macos-${arch}.dmg"
volume="Neural Network Playground ${version}"

if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
    # Inside out: every Mach-O file (libraries, Python extensions, torch's torch_shm_manager), then
    # the frameworks (Qt's), then the app, whose signature binds them all. Entitlements go on the
    # app's executable only: libraries run with those of the process that loads them.
    sign=(codesign --force --timestamp --options runtime --sign "$CODESIGN_IDENTITY")
    echo "signing the binaries in $app as $CODESIGN_IDENTITY"
    while IFS= read -r -d '' file; do
        if file -b "$file" | grep -q 'Mach-O'; then
            "${sign[@]}" "$file" >/dev/null
        fi
    done < <(find "$app/Contents" -type f ! -path "$exe" -print0)
    while IFS= read -r -d '' framework; do
        "${sign[@]}" "$framework" >/dev/null
    done < <(find "$app/Contents" -depth -type d -name '*.framework' -print0)
    "${sign[@]}" --entitlements "$here/entitlements.plist" "$app"
    codesign --verify --deep --strict --verbose=2 "$app"
fi

if [[ "${SMOKE:-1}" != 0 ]]; then  # the signed app, as users will start it: torch, Qt and the worker process
    tmp=$(mktemp -d)
    "$exe" --version
    "$exe" run default --epochs 1 --quiet --out "$tmp/run" >/dev/null
    QT_QPA_PLATFORM=offscreen "$exe" --preset default --autorun --exit-after 3 >"$tmp/window.log" 2>&1 \
        || { cat "$tmp/window.log" >&2; echo "make-dmg.sh: the app failed its smoke test" >&2; exit 1; }
    rm -rf "$tmp"
    echo "smoke test: the app trains, headless and in its window"
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
ditto "$app" "$stage/$(basename "$app")"  # ditto keeps the bundle's symlinks, extended attributes and signatures
ln -s /Applications "$stage/Applications"
rm -f "$dmg"
hdiutil create -volname "$volume" -srcfolder "$stage" -fs HFS+ -format "${DMG_FORMAT:-ULMO}" -ov "$dmg" >/dev/null

if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
    codesign --force --timestamp --sign "$CODESIGN_IDENTITY" "$dmg"
    if [[ -n "${NOTARY_PROFILE:-}" ]]; then
        xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
        xcrun stapler staple "$dmg"
        xcrun stapler validate "$dmg"
        spctl --assess --type open --context context:primary-signature --verbose=2 "$dmg"
    fi
fi
echo "dmg: $(du -h "$dmg" | cut -f1) $dmg"
