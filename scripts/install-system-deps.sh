#!/usr/bin/env bash
# Installs the system tools Rempart and its tests use, only those that are missing.
# Debian/Ubuntu; needs root (CI runs as root). Safe to run again.
set -euo pipefail
need=()
command -v nmap >/dev/null || need+=(nmap)
command -v openssl >/dev/null || need+=(openssl)
command -v chromium >/dev/null || need+=(chromium)
command -v java >/dev/null || need+=(default-jre-headless)
command -v node >/dev/null || need+=(nodejs npm)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Node tools for the HTML report checks (vnu, axe-core, playwright-core driving Debian's chromium)
if [ -f tests/html/package-lock.json ] && [ ! -d tests/html/node_modules ]; then
  npm ci --prefix tests/html --no-audit --no-fund >/dev/null
fi
