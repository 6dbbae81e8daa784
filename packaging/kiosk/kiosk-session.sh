#!/bin/sh
# A minimal X session for a dedicated TV box (no desktop): screen blanking and DPMS off,
# the cursor hidden, then the TV (systemd user unit if there is one, else directly).
# Use it as the session of an auto-login user (e.g. ~/.xsession), or run the TV under the
# Wayland kiosk compositor instead:  cage -d -- winroom tv --server URL
xset s off -dpms s noblank 2>/dev/null || true
command -v unclutter >/dev/null && unclutter -idle 1 -root &
if systemctl --user cat winroom-tv.service >/dev/null 2>&1; then
  systemctl --user import-environment DISPLAY XAUTHORITY
  systemctl --user start winroom-tv.service
  exec sleep infinity
fi
. "$HOME/.config/winroom/tv.env"
exec winroom tv --server "$WINROOM_TV_SERVER"
