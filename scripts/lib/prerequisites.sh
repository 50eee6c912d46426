# Checks the tools scripts/run.sh, scripts/test.sh and .ci/run need, before they do anything else, so
# that a fresh machine fails with an instruction instead of halfway through a build.
# Where it can (root, or passwordless sudo, with apt-get) it installs the missing ones Debian/Ubuntu
# package; otherwise it stops with one line per missing tool naming it and the command that installs it.
# Usage (sourced): require_prerequisites run|test|fast   (fast: scripts/test.sh --fast, .NET only)
# test adds chromium when PEERZ_REQUIRE_BROWSER=1, ip/iptables when PEERZ_REQUIRE_NETNS=1 and PostgreSQL when
# PEERZ_REQUIRE_POSTGRES=1 (all set by .ci/run);
# elsewhere those tests skip with the reason.

# prerequisites_for ENTRY: the tools ENTRY needs, one per line. g++ builds the ELF tool and shim that adapt
# TorchSharp to libstdc++ 12 (docs/operations.md); python3 picks free ports in run.sh.
prerequisites_for() {
  echo dotnet; echo g++
  if [ "$1" = fast ]; then return 0; fi
  echo node; echo npm
  case $1 in
    run) echo python3 ;;
    test)
      if [ "${PEERZ_REQUIRE_BROWSER:-}" = 1 ]; then echo chromium; fi
      if [ "${PEERZ_REQUIRE_NETNS:-}" = 1 ]; then echo ip; echo iptables; fi
      if [ "${PEERZ_REQUIRE_POSTGRES:-}" = 1 ]; then echo postgres; fi ;;
  esac
}

# prerequisite_present TOOL: whether TOOL is usable in the version Peerz needs.
prerequisite_present() {
  case $1 in
    dotnet) dotnet --list-sdks 2>/dev/null | grep -E '^10\.' >/dev/null ;;
    node) [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 20 ] ;;
    chromium) [ -x /usr/bin/chromium ] ;; # the browser tests start that path
    postgres) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ;; # the store tests start the server from there
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

# prerequisite_package TOOL: the Debian/Ubuntu package that provides TOOL.
prerequisite_package() {
  case $1 in
    dotnet) echo dotnet-sdk-10.0 ;;
    node) echo nodejs ;;
    ip) echo iproute2 ;;
    postgres) echo postgresql ;;
    *) echo "$1" ;;
  esac
}

# prerequisite_instruction TOOL SUDO: one line naming TOOL and how to install it.
prerequisite_instruction() {
  case $1 in
    dotnet) echo "error: the .NET 10 SDK (dotnet) is missing; install it with: curl -fsSL https://dot.net/v1/dotnet-install.sh | bash -s -- --channel 10.0 && export PATH=\"\$HOME/.dotnet:\$PATH\"" ;;
    node) echo "error: Node.js 20 or newer (node) is missing; install it with: ${2}apt-get install nodejs npm (Debian 13, Ubuntu 24.10+) or from https://nodejs.org/en/download" ;;
    *) echo "error: $1 is missing; install it with: ${2}apt-get install $(prerequisite_package "$1")" ;;
  esac
}

# prerequisite_installer: the command prefix that may run apt-get here ("" as root, "sudo -n " with passwordless
# sudo); fails where nothing may be installed.
prerequisite_installer() {
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ "$(id -u)" = 0 ]; then echo ""; elif sudo -n true 2>/dev/null; then echo "sudo -n "; else return 1; fi
}

require_prerequisites() {
  local tool missing=() installer
  while read -r tool; do prerequisite_present "$tool" || missing+=("$tool"); done < <(prerequisites_for "$1")
  [ ${#missing[@]} -gt 0 ] || return 0

  if installer=$(prerequisite_installer); then
    # Only packages this machine's apt sources carry (dotnet-sdk-10.0 is in Ubuntu's archive, not Debian 12's).
    local packages=() package attempt failed log
    log=$(mktemp)
    echo "== installing prerequisites with apt-get: ${missing[*]}"
    # Twice: a fresh machine may still be running its own first apt (the dpkg lock) or fail to fetch its package lists
    # once; a second try 20 s later gets through.
    for attempt in 1 2; do
      failed=0
      DEBIAN_FRONTEND=noninteractive ${installer}apt-get update -qq >>"$log" 2>&1 || failed=1
      packages=()
      for tool in "${missing[@]}"; do
        package=$(prerequisite_package "$tool")
        # grep reads all of apt-cache's output (no -q): under pipefail, grep -q exiting at the first match killed
        # apt-cache with SIGPIPE (exit 141) 19 times in 20, so the package looked unavailable and was never installed.
        if apt-cache policy "$package" 2>/dev/null | grep 'Candidate: [^(]' >/dev/null; then packages+=("$package"); fi
      done
      if [ ${#packages[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive ${installer}apt-get install -y -qq "${packages[@]}" >>"$log" 2>&1 || failed=1
      fi
      if [ "$failed" = 0 ] || [ "$attempt" = 2 ]; then break; fi
      sleep 20
    done
    local still=()
    for tool in "${missing[@]}"; do prerequisite_present "$tool" || still+=("$tool"); done
    missing=("${still[@]}")
    if [ ${#missing[@]} -gt 0 ] && [ -s "$log" ]; then
      echo "apt-get did not install them; its last lines:" >&2
      tail -n 5 "$log" | sed 's/^/  /' >&2
    fi
    rm -f "$log"
    [ ${#missing[@]} -gt 0 ] || return 0
  fi

  local sudo_hint="sudo "
  if [ "$(id -u)" = 0 ]; then sudo_hint=""; fi
  for tool in "${missing[@]}"; do prerequisite_instruction "$tool" "$sudo_hint" >&2; done
  exit 1
}
