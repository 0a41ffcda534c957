#!/usr/bin/env bash
# Debian packages the tests need, installed by the project itself (CI starts from a clean machine).
# iproute2: network namespaces and veth pairs for tests/netns (multicast WS-Discovery).
# Runs apt-get only when a tool is missing and we are root; otherwise says what is missing and
# the tests that need it skip with that reason.
set -u
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${need[*]} (not root or no apt-get): tests needing them will skip" >&2
  exit 0
fi
echo "install-test-deps: apt-get install ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || echo "install-test-deps: apt-get failed; tests needing ${need[*]} will skip" >&2
