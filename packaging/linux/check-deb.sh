#!/usr/bin/env bash
# Install a built .deb the way a user meets it, on a bare Debian 12 root, and check it works:
#   sudo bash packaging/linux/check-deb.sh dist/playground_<version>_amd64.deb [BASE]
# BASE is a debootstrap'ed minbase bookworm (made once, ~80 s: debootstrap --variant=minbase bookworm
# /tmp/deb-base). Each run uses an overlay, so the base stays bare. Steps: apt-get install ./the.deb
# (only Debian packages come in), ldd over every library of the bundle before anything else is
# installed (xvfb would pull in GL and hide a missing Depends), then under Xvfb the scripted window
# (screenshot + figures), `playground run` and `export`, and apt-get remove (nothing left in /opt).
set -euo pipefail
deb=$(realpath "${1:?the .deb to check}")
base=${2:-/tmp/deb-base}
[[ -x $base/usr/bin/apt-get ]] || debootstrap --variant=minbase bookworm "$base" >/dev/null
out=$(pwd)/build/check-deb
mkdir -p "$out"
work=$(mktemp -d /tmp/deb-check.XXXX)
mkdir -p "$work/upper" "$work/work" "$work/root"
mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/work" "$work/root"
r=$work/root
cleanup() {
    for m in dev/pts dev proc sys tmp/out; do umount -l "$r/$m" 2>/dev/null || true; done
    umount -l "$r" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for m in proc sys dev dev/pts; do mkdir -p "$r/$m"; mount --bind "/$m" "$r/$m"; done
mkdir -p "$r/tmp/out"; mount --bind "$out" "$r/tmp/out"
cp /etc/resolv.conf "$r/etc/resolv.conf"
cp "$deb" "$r/tmp/"
run() { chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive bash -c "$1"; }
run "apt-get update -q >/dev/null && apt-get install -y /tmp/$(basename "$deb")" > "$out/apt-install.log" 2>&1
grep -E "newly installed|^Get:" "$out/apt-install.log" | sed -n '1p;$p'  # every Get: is from Debian's archive
echo "== libraries ldd cannot find (none expected):"
# the bundle's own folder is where its loader looks first (PyInstaller sets LD_LIBRARY_PATH)
run 'find /opt/playground -name "*.so*" -type f | while read -r f; do LD_LIBRARY_PATH=/opt/playground/_internal ldd "$f" 2>/dev/null | grep "not found" | sed "s|^|$f: |"; done | sort -u' | tee "$out/ldd-missing.txt"
[[ ! -s $out/ldd-missing.txt ]] || { echo "check-deb.sh: libraries missing" >&2; exit 1; }
run "playground --version && grep -l playground /usr/share/applications/*.desktop && ls /usr/share/icons/hicolor/48x48/apps/"
run "apt-get install -y -q --no-install-recommends xvfb xauth >/dev/null"
run "cd /tmp && xvfb-run -a -s '-screen 0 1280x720x24' playground --preset default --autorun --exit-after 10 --screenshot /tmp/out/deb-window.png | tail -n 1 | tee /tmp/out/deb-window.json"
run "cd /tmp && playground run default --epochs 3 --quiet && playground export default -o /tmp/x.py && head -n 3 /tmp/x.py"
echo "== the shipped presets, data and backbone, the bench and a sweep (its workers and plot) from the bundle:"
run "cd /tmp && playground presets | head -n 2 && playground run transfer_linear_probe --epochs 2 --quiet | head -n 2 \
     && playground bench --seconds 0.3 | tail -n 2 && playground transfer-sweep transfer_linear_probe --per-class 5 \
     --strategies linear_probe --seeds 1 --epochs 2 --set data.n_samples=1200 --quiet --out /tmp/out/sweep | tail -n 2"
run "apt-get remove -y -q playground >/dev/null && echo 'left under /opt:' && find /opt -mindepth 1 | head"
echo "check-deb.sh: done; screenshot and figures in $out"
