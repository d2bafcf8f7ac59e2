#!/usr/bin/env bash
# Installs what the HTML report's browser and validator tests need; safe to run again.
# Debian's chromium and a headless JRE (for vnu.jar), then the npm packages of tests/html.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); fi

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "install-html-tools: apt-get install ${need[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# npm ci wipes node_modules: only run it when the lock file changed since the last install.
# --ignore-scripts: vnu-jar's postinstall would fetch a Java runtime; the system one is used.
lock_sum=$(sha256sum tests/html/package-lock.json | cut -d' ' -f1)
stamp=tests/html/node_modules/.installed-lock.sha256
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$lock_sum" ]; then
  npm ci --prefix tests/html --ignore-scripts --no-audit --no-fund
  echo "$lock_sum" > "$stamp"
fi
echo "install-html-tools: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), $(java -version 2>&1 | head -1), node $(node --version)"
