#!/usr/bin/env bash
# Debian packages the tests need, installed by the project itself (CI starts from a clean machine).
# iproute2: network namespaces, veth pairs and `tc` shaping for tests/netns (multicast WS-Discovery,
#   bandwidth on a shaped link).
# iperf3: the reference the bandwidth test is compared with on the same shaped link
#   (tests/netns/test_bandwidth_shaped.py). The tests run it themselves; no daemon is wanted.
# poppler-utils: pdftotext, pdffonts, pdftoppm read the generated PDF reports back in the tests.
# libgl1, libglib2.0-0, libxcb1: the system libraries that opencv-python's wheel links against;
#   ipycam (the independent ONVIF device of tests/integration/test_peer_ipycam.py) imports cv2.
# sip-tester: SIPp (binary `sipp`), the third-party SIP user agent that plays a GB/T 28181 device
#   against the simulated centre's registrar (tests/integration/test_gb28181_sipp.py): it builds
#   the REGISTER and its Digest answer itself, so our registrar is checked by code that is not ours.
# kamailio: a third-party SIP registrar that the simulated camera's GB/T 28181 client registers
#   with (tests/integration/test_gb28181_kamailio.py). The test runs it on 127.0.97.1 with its own
#   config; the package's system service must not run (stopped and disabled below).
# Runs apt-get only when a tool is missing and we are root; otherwise says what is missing and
# the tests that need it skip with that reason.
set -u
need=()
{ command -v ip >/dev/null 2>&1 && command -v tc >/dev/null 2>&1; } || need+=(iproute2)
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v kamailio >/dev/null 2>&1 || need+=(kamailio)
has_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
has_lib 'libGL\.so\.1 ' || need+=(libgl1)
has_lib 'libgthread-2\.0\.so\.0 ' || need+=(libglib2.0-0)
has_lib 'libxcb\.so\.1 ' || need+=(libxcb1)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${need[*]} (not root or no apt-get): tests needing them will skip" >&2
  exit 0
fi
echo "install-test-deps: apt-get install ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's iperf3 package asks whether to run `iperf3 -s` as a system service: it must not, a
# test machine is not an iperf3 server for the world.
if command -v debconf-set-selections >/dev/null 2>&1; then
  echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections
fi
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || echo "install-test-deps: apt-get failed; tests needing ${need[*]} will skip" >&2
# Belt and braces: if a service was installed and started anyway, stop and disable it.
for unit in iperf3 kamailio; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ] \
     && systemctl list-unit-files "$unit.service" >/dev/null 2>&1; then
    systemctl disable --now "$unit.service" >/dev/null 2>&1 || true
  elif [ ! -d /run/systemd/system ] && [ -x "/etc/init.d/$unit" ] && command -v update-rc.d >/dev/null 2>&1; then
    # No systemd (containers): the package's init script may have started the default config,
    # which listens on every interface.
    "/etc/init.d/$unit" stop >/dev/null 2>&1 || true
    update-rc.d "$unit" disable >/dev/null 2>&1 || true
  fi
done
exit 0
