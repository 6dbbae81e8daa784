#!/bin/sh
# Set this user up as a Win Room TV:  packaging/kiosk/setup-kiosk.sh http://winroom.local:8000
# Writes ~/.config/winroom/tv.env, installs and enables the systemd user unit (Linger so it
# starts at boot with the auto-login session). Run as the kiosk user, not root.
set -eu
server="${1:?usage: setup-kiosk.sh SERVER_URL}"
here=$(cd "$(dirname "$0")" && pwd)
bin="${WINROOM_BIN:-$(command -v winroom || echo /opt/winroom/venv/bin/winroom)}"
mkdir -p "$HOME/.config/winroom" "$HOME/.config/systemd/user"
umask 077
printf 'WINROOM_TV_SERVER=%s\n' "$server" >"$HOME/.config/winroom/tv.env"
sed "s#/opt/winroom/venv/bin/winroom#$bin#" "$here/winroom-tv.service" \
  >"$HOME/.config/systemd/user/winroom-tv.service"
systemctl --user daemon-reload
systemctl --user enable winroom-tv.service
loginctl enable-linger "$(id -un)" 2>/dev/null || echo "ask an admin: loginctl enable-linger $(id -un)"
echo "TV set up for $server: it starts with the session and shows a pairing code the first time."
