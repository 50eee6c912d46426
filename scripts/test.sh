#!/usr/bin/env bash
# Runs every test of Peerz: the Solidity contracts under Hardhat, then all .NET test projects.
# Usage: scripts/test.sh [--slow | --fast]   (see docs/testing.md)
#   --slow  adds the suites marked Category=Slow
#   --fast  only the .NET tests that stay inside the test process: no Hardhat, Node.js, Chromium, PostgreSQL,
#           network namespaces or executables of ours (the inner loop; no npm needed)
set -euo pipefail
cd "$(dirname "$0")/.."

# The categories --fast leaves out: Slow, and every category of tests that start another program. A test class that
# starts one must carry one of these (checked by tests/Peerz.Architecture.Tests/FastSubsetTests.cs, which reads this line).
fast_excluded="Slow Chain JavaScript Browser Postgres Nat Process RunCommand Chaos"

mode=${1:-}
case $mode in
  "") filter="Category!=Slow" ;;
  --slow) filter="" ;;
  --fast) filter=$(printf 'Category!=%s&' $fast_excluded); filter=${filter%&} ;;
  *) echo "usage: scripts/test.sh [--slow | --fast]" >&2; exit 2 ;;
esac

# shellcheck source=lib/prerequisites.sh
source scripts/lib/prerequisites.sh
require_prerequisites "$([ "$mode" = --fast ] && echo fast || echo test)"

if [ "$mode" != --fast ] && { [ ! -x node_modules/.bin/hardhat ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  echo "== npm ci (Hardhat, solc-js, OpenZeppelin, ethers, js-libp2p reference peers)"
  npm ci --no-audit --no-fund
fi

status=0
if [ "$mode" != --fast ] && [ -d contracts ]; then
  echo "== contracts: hardhat test"
  npx hardhat test || status=1
fi

echo "== .NET: dotnet test Peerz.sln"
dotnet test Peerz.sln --nologo ${filter:+--filter "$filter"} --logger "console;verbosity=normal" || status=1
exit $status
