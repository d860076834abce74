#!/usr/bin/env bash
# Installs what Wharf needs on one Debian machine: the OS packages listed in .ci/apt/*.txt,
# then the npm dependencies (which include Node.js 24 itself, as the `node` package).
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=$(cat .ci/apt/*.txt 2>/dev/null | sed 's/#.*//' | tr -s ' \n' ' ')
if [ -n "${pkgs// /}" ]; then
  missing=""
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "-----> Installing OS packages:$missing" >&2
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=""; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi
echo "-----> Installing npm dependencies" >&2
if [ -n "${CI:-}" ] || [ ! -d node_modules ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
