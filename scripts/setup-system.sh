#!/usr/bin/env bash
# Installs the Debian packages Flowscope's build and tests use (idempotent; needs root or sudo).
set -euo pipefail
PACKAGES=(
  libpcap-dev     # node-pcap builds against it
  chromium        # Playwright drives Debian's Chromium (no browser download here)
  tshark tcpdump  # byte-exact references for the capture engine
  iperf3 ethtool iproute2 iputils-ping curl  # traffic in test network namespaces
  libcap2-bin     # setcap/getcap: the capture helper gets cap_net_raw (deb postinst, tests)
  sqlite3         # independent integrity checks of the history database
  nfdump softflowd  # a real NetFlow/IPFIX collector (nfcapd) and the peer exporter
  prometheus      # a real Prometheus (and promtool) scrapes /metrics in the tests
  xvfb            # a display for the Electron window test where Electron is installed
  python3 make g++  # node-gyp for native modules
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
