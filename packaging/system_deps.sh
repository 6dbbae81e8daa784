#!/usr/bin/env bash
# Checks (or installs) the Debian packages the desktop apps need.
#   --check-test   only what the offscreen test suite needs
#   --check        everything
#   --install      apt-get install whatever is missing (root only)
#   --ensure       --check (--check-test with no display: the demo then runs offscreen);
#                  when something is missing: as root install it, else fail
# A failed check prints ONE line naming the command that fixes it and the packages, exit 1.
# The list lives in winroom_desktop/assets/system-libs.txt (also read by `winroom`).
# Test overrides: WINROOM_SYSTEM_LIBS (another list file), WINROOM_SYSTEM_DEPS_UID (the
# uid to act as), WINROOM_SYSTEM_DEPS_APT (the apt-get command).
set -u
here=$(cd "$(dirname "$0")" && pwd)
list=${WINROOM_SYSTEM_LIBS:-$here/../winroom_desktop/assets/system-libs.txt}
uid=${WINROOM_SYSTEM_DEPS_UID:-$(id -u)}
apt=${WINROOM_SYSTEM_DEPS_APT:-apt-get}
mode=${1:---check}
case "$mode" in --check|--check-test|--install|--ensure) ;; *)
  echo "usage: $0 [--check|--check-test|--install|--ensure]" >&2; exit 2 ;;
esac
if [ "$mode" = --ensure ]; then
  if [ "${QT_QPA_PLATFORM:-}" = offscreen ] || [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}${QT_QPA_PLATFORM:-}" ]; then
    scope_mode=--check-test
  else
    scope_mode=--check
  fi
else
  scope_mode=$mode
fi
[ -r "$list" ] || { echo "system-deps: cannot read $list" >&2; exit 2; }

tab=$'\t'
ldcache=$(ldconfig -p 2>/dev/null)
find_missing() {
  missing=()
  local name pkg scope
  while IFS=: read -r name pkg scope; do
    case "$name" in ''|'#'*) continue ;; esac
    [ "$scope_mode" = "--check-test" ] && [ "$scope" != test ] && continue
    if [ "${name:0:1}" = / ]; then
      [ -e "$name" ] || missing+=("$pkg")
    else
      grep -qF "$tab$name " <<<"$ldcache" || missing+=("$pkg")
    fi
  done <"$list"
}

install_missing() {
  export DEBIAN_FRONTEND=noninteractive
  $apt update -qq >/dev/null && $apt install -y -qq "${missing[@]}" >/dev/null
}

fix_hint() {
  if [ "$uid" = 0 ]; then echo "make system-deps"; else echo "sudo make system-deps"; fi
}

find_missing
[ ${#missing[@]} -eq 0 ] && exit 0
case "$mode" in
  --install|--ensure)
    if [ "$uid" != 0 ]; then
      [ "$mode" = --install ] && echo "system-deps: run as root to install: ${missing[*]}" >&2
      [ "$mode" = --ensure ] && echo "missing system libraries: run 'sudo make system-deps' (${missing[*]})" >&2
      exit 1
    fi
    echo "installing the missing system libraries: ${missing[*]}" >&2
    install_missing || { echo "system-deps: apt-get could not install: ${missing[*]}" >&2; exit 1; }
    ldcache=$(ldconfig -p 2>/dev/null)
    find_missing
    [ ${#missing[@]} -eq 0 ] && exit 0
    echo "missing system libraries even after installing: ${missing[*]}" >&2
    exit 1
    ;;
esac
echo "missing system libraries: run '$(fix_hint)' (${missing[*]})" >&2
exit 1
