#!/usr/bin/env bash
# Installs what the end-to-end tests use from Debian when it is missing and we can: Chromium for
# the dashboard's browser test, openssl to make the TLS test's certificates, beanstalkd for the
# benchmark's smoke run to drive its beanstalkd workload end to end.
set -u
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/openssl ] || missing+=(openssl)
command -v beanstalkd >/dev/null 2>&1 || missing+=(beanstalkd)
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" -eq 0 ] || exit 1
[ -x /usr/bin/apt-get ] || exit 1
(/usr/bin/apt-get update -qq && DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1
[ -x /usr/bin/chromium ] && [ -x /usr/bin/openssl ] && command -v beanstalkd >/dev/null 2>&1
