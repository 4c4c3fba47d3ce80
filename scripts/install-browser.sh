#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser test, when it is missing and we can.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
[ "$(id -u)" -eq 0 ] || exit 1
command -v apt-get >/dev/null 2>&1 || exit 1
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1
command -v chromium >/dev/null 2>&1
