#!/usr/bin/env bash
# Installs the Debian packages Palisade's build, demo and tests need, only those that are missing.
# Sourced or run by scripts/test.sh and scripts/demo.sh; needs root or sudo when something is missing.
set -euo pipefail

# gcc/pkg-config: C toolchain for build scripts and libnftnl linking.
# clang/llvm/libbpf-dev/linux-libc-dev: the eBPF datapath (bpf/palisade.c) compiled by build.rs.
# libnftnl-dev/libmnl-dev: the nftables dataplane's netlink wrapper.
# nftables/iproute2/iputils-ping: the kernel tests (nft listings, network namespaces, veth, ping).
packages=(gcc pkg-config clang llvm libbpf-dev linux-libc-dev libnftnl-dev libmnl-dev nftables iproute2 iputils-ping)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing missing Debian packages: ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "error: packages ${missing[*]} are missing and this is not root (and sudo is absent)" >&2
      exit 1
    }
    sudo_cmd="sudo"
  fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
