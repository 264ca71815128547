#!/usr/bin/env bash
# Installs what vtep needs from Debian, once: build tools, DPDK 22.11 and the
# libraries, plus what the tests use. Idempotent; quiet when all is present.
set -euo pipefail

pkgs=(build-essential meson ninja-build pkg-config
      dpdk dpdk-dev libdpdk-dev libyaml-dev libcmocka-dev libpcap-dev
      libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev
      curl iproute2 iputils-ping iputils-arping ethtool tshark procps psmisc python3 python3-yaml python3-jsonschema
      clang libclang-rt-14-dev llvm-14
      prometheus scdoc)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
