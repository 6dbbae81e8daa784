#!/usr/bin/env bash
# Checks (or, with --install as root, installs) the Debian packages the desktop apps need.
#   --check-test   only what the offscreen test suite needs (fails with one line per miss)
#   --check        everything (fails with one line per miss)
#   --install      apt-get install whatever is missing (root only)
set -u
# library file -> Debian package; "test" marks those the offscreen tests need.
LIBS=(
  "libEGL.so.1:libegl1:test"
  "libfontconfig.so.1:libfontconfig1:test"
  "libxkbcommon.so.0:libxkbcommon0:test"
  "libdbus-1.so.3:libdbus-1-3:test"
  "libglib-2.0.so.0:libglib2.0-0:test"
  "libGL.so.1:libgl1:test"
  "libpulse.so.0:libpulse0:test"
  "libxcb-icccm.so.4:libxcb-icccm4:gui"
  "libxcb-keysyms.so.1:libxcb-keysyms1:gui"
  "libxcb-cursor.so.0:libxcb-cursor0:gui"
  "libxcb-xinerama.so.0:libxcb-xinerama0:gui"
  "libxcb-randr.so.0:libxcb-randr0:gui"
  "libxcb-shape.so.0:libxcb-shape0:gui"
  "libxcb-image.so.0:libxcb-image0:gui"
  "libxcb-render-util.so.0:libxcb-render-util0:gui"
  "libxkbcommon-x11.so.0:libxkbcommon-x11-0:gui"
)
FILES=(
  "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf:fonts-noto-color-emoji:gui"
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core:test"
)
mode=${1:---check}
missing=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
for entry in "${LIBS[@]}"; do
  IFS=: read -r lib pkg scope <<<"$entry"
  [ "$mode" = "--check-test" ] && [ "$scope" != test ] && continue
  have_lib "$lib" || missing+=("$pkg")
done
for entry in "${FILES[@]}"; do
  IFS=: read -r file pkg scope <<<"$entry"
  [ "$mode" = "--check-test" ] && [ "$scope" != test ] && continue
  [ -e "$file" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$mode" = "--install" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "system-deps: run as root to install: ${missing[*]}" >&2; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null
  exit $?
fi
for pkg in "${missing[@]}"; do
  echo "missing system library: install the Debian package '$pkg' (or run 'make system-deps' as root)" >&2
done
exit 1
