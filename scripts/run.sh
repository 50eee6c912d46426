#!/usr/bin/env bash
# Runs a local Peerz swarm on loopback and generates text through it:
# three peerz-provider processes split the embedded tiny model (generated on first use), each
# announcing its span in the Peerz DHT; then `peerz generate` routes a prompt through them and
# streams the tokens. The swarm keeps running until Ctrl-C.
# Usage: scripts/run.sh [--model DIR] [--prompt TEXT] [--max-new-tokens N]
set -euo pipefail
cd "$(dirname "$0")/.."

model_args=()
prompt="The provider serves"
max_new=24
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model_args=(--model "$2"); shift 2 ;;
    --prompt) prompt="$2"; shift 2 ;;
    --max-new-tokens) max_new="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

run_dir=${PEERZ_RUN_DIR:-.devnet}
mkdir -p "$run_dir"
echo "== building"
dotnet build Peerz.sln -v quiet -nologo -clp:NoSummary >/dev/null
provider=(dotnet node/Peerz.Provider/bin/Debug/net10.0/peerz-provider.dll)
peerz=(dotnet client/Peerz.Cli/bin/Debug/net10.0/peerz.dll)

pids=()
cleanup() {
  echo "== stopping the swarm"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
# Ctrl-C exits (running the EXIT trap once); a trap on INT alone would let the script carry on.
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a provider in the background (in this shell, so cleanup knows its pid) and waits for
# its "ready <address> blocks <start:end>" line; sets $address and $span.
start_provider() {
  local name=$1; shift
  "${provider[@]}" "${model_args[@]}" --identity "$run_dir/$name.key" "$@" >"$run_dir/$name.out" 2>"$run_dir/$name.log" &
  pids+=($!)
  for _ in $(seq 1 120); do
    if grep -q '^ready ' "$run_dir/$name.out" 2>/dev/null; then
      read -r _ address _ span < <(grep -m1 '^ready ' "$run_dir/$name.out")
      return
    fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then echo "error: provider $name exited; see $run_dir/$name.log" >&2; exit 1; fi
    sleep 0.5
  done
  echo "error: provider $name did not become ready; see $run_dir/$name.log" >&2
  exit 1
}

echo "== starting providers"
start_provider provider-1 --blocks 0:3
first=$address
echo "provider-1  blocks $span  $first"
for n in 2 3; do
  # Without --blocks, each provider picks the blocks where the swarm is weakest.
  start_provider "provider-$n" --num-blocks 3 --bootstrap "$first"
  echo "provider-$n  blocks $span  $address"
done

echo "== generating through the swarm"
"${peerz[@]}" generate "${model_args[@]}" --bootstrap "$first" --prompt "$prompt" --max-new-tokens "$max_new"

echo
echo "== the swarm is running; bootstrap address: $first"
echo "   try: ${peerz[*]} generate --bootstrap $first --prompt 'Hello'"
echo "   logs: $run_dir/provider-*.log   (Ctrl-C stops everything)"
wait
