#!/bin/sh
# Headless Chromium for the viewer's browser tests (tests/proofs_check/test_viewer_browser.py), from the Debian packages.
# Idempotent: does nothing when /usr/bin/chromium is already there.  Needs root (or sudo) and apt-get.
set -eu
if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo unknown version)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser.sh: apt-get not found; install Chromium by hand (the browser tests skip without it)" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core
/usr/bin/chromium --version
