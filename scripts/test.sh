#!/usr/bin/env bash
# Runs every test of Peerz: the Solidity contracts under Hardhat, then all .NET test projects.
# Usage: scripts/test.sh [--slow]   (--slow adds the suites marked Category=Slow; see docs/testing.md)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/prerequisites.sh
source scripts/lib/prerequisites.sh
require_prerequisites test

if [ ! -x node_modules/.bin/hardhat ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci (Hardhat, solc-js, OpenZeppelin, ethers, js-libp2p reference peers)"
  npm ci --no-audit --no-fund
fi

filter="Category!=Slow"
if [ "${1:-}" = "--slow" ]; then filter=""; fi

status=0
if [ -d contracts ]; then
  echo "== contracts: hardhat test"
  npx hardhat test || status=1
fi

echo "== .NET: dotnet test Peerz.sln"
dotnet test Peerz.sln --nologo ${filter:+--filter "$filter"} --logger "console;verbosity=normal" || status=1
exit $status
