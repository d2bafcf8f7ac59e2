#!/usr/bin/env bash
# Installs the system tools Rempart and its tests use, only those that are missing.
# Debian/Ubuntu; needs root (CI runs as root). Safe to run again.
set -euo pipefail
need=()
command -v nmap >/dev/null || need+=(nmap)
command -v openssl >/dev/null || need+=(openssl)
command -v ip >/dev/null || need+=(iproute2)
# the network lab of the tests: namespaces, a firewall, an sshd vantage point
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v nft >/dev/null || [ -x /usr/sbin/nft ] || need+=(nftables)
command -v nc >/dev/null || need+=(netcat-openbsd)
# the history tests start a throw-away PostgreSQL server (initdb/pg_ctl as the postgres user)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v runuser >/dev/null || need+=(util-linux)
# the host-check tests: real sshd sessions whose scan account uses sudo -n for named commands
command -v sudo >/dev/null || need+=(sudo)
# the PDF report: WeasyPrint's Pango (text layout) and a font; poppler-utils for the PDF tests
ldconfig -p 2>/dev/null | grep 'libpango-1.0.so' >/dev/null || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep 'libharfbuzz-subset.so' >/dev/null || need+=(libharfbuzz-subset0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v pdftotext >/dev/null || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The HTML report checks: Debian's chromium, a JRE for vnu, and the npm packages of tests/html
bash .ci/install-html-tools.sh
