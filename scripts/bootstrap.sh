#!/usr/bin/env bash
# Installs the Debian 12 packages Dimona Ledger builds and tests with, when missing
# (Chromium for the portal's browser tests among them), and the npm packages of the tests as
# their package-lock.json pin them: KafkaJS (tests/interop), playwright-core (tests/portal).
# Runs as root, or through sudo; never prompts. Safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev          # never libboost-dev / libboost-all-dev: they pull 1.74
  librdkafka-dev
  libsimdjson-dev
  libsqlite3-dev sqlite3
  libzip-dev                # the register's ZIP extracts (employers import)
  liblz4-dev                # record batch payloads are LZ4-compressed
  libgtest-dev libgmock-dev
  libbenchmark-dev
  libcli11-dev
  libssl-dev                # HMAC-SHA256 for access codes and tokens, JWT, TLS
  libhpdf-dev libqrencode-dev  # attestation and interim PDFs, QR codes
  python3 python3-yaml python3-jsonschema  # the OpenAPI conformance test
  clang libclang-rt-14-dev  # libFuzzer targets (scripts/build.sh fuzz, scripts/fuzz.sh)
  lld                       # the linker of both flavours when present (CMakeLists.txt)
  kcat python3-kafka python3-lz4  # Kafka interop tests: clients no one here wrote (docs/kafka.md, Interop)
  chromium fonts-dejavu-core      # the portal's browser tests (tests/portal, docs/portal.md)
)
# KafkaJS runs on Node.js with npm: Debian's nodejs and npm, unless a Node.js with npm is
# already on the machine (a nodejs package from elsewhere provides npm and conflicts with Debian's).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

# The npm packages of the tests, exactly as locked; again only when a lock changed: KafkaJS for
# the interop tests, playwright-core (driving Debian's Chromium) for the portal's.
npm_ci() {
  local dir=$1
  local stamp=$dir/node_modules/.dimona-package-lock.json
  if cmp -s "$dir/package-lock.json" "$stamp"; then
    return 0
  fi
  echo "bootstrap: npm ci in $dir" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$dir/package-lock.json" "$stamp"
}
install_npm() {
  npm_ci tests/interop
  npm_ci tests/portal
}
cd "$(dirname "$0")/.."

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  install_npm
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "bootstrap: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "bootstrap: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_npm
