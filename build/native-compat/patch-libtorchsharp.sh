#!/usr/bin/env bash
# Makes TorchSharp's libLibTorchSharp.so (built with GCC 13) load on systems with libstdc++ 12
# (Debian 12, Ubuntu 22.04). Its only GCC-13 dependency is std::ios_base_library_init()
# (version GLIBCXX_3.4.32), a no-op on libstdc++ 12. We (1) unversion that symbol, (2) mark the
# GLIBCXX_3.4.32 requirement weak, (3) link a shim that defines the symbol. See docs/operations.md.
# Usage: patch-libtorchsharp.sh OUTPUT_DIR   (idempotent; does nothing where not needed)
set -euo pipefail
out_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
symbol=_ZSt21ios_base_library_initv
version=GLIBCXX_3.4.32

[ "$(uname -s)" = Linux ] || exit 0
mapfile -t libs < <(find "$out_dir" -name libLibTorchSharp.so -type f 2>/dev/null)
[ ${#libs[@]} -gt 0 ] || exit 0

libstdcxx=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -n "$libstdcxx" ] && grep -q "$version" "$libstdcxx"; then
  exit 0 # the system libstdc++ is new enough
fi
for tool in patchelf g++; do
  command -v "$tool" >/dev/null || { echo "error: $tool is needed to adapt libLibTorchSharp.so to this system's libstdc++ (apt-get install $tool)" >&2; exit 1; }
done

tools_dir="$out_dir/.native-compat"
mkdir -p "$tools_dir"
if [ ! -x "$tools_dir/weaken_verneed" ] || [ "$here/weaken_verneed.cpp" -nt "$tools_dir/weaken_verneed" ]; then
  g++ -O2 -std=c++17 -o "$tools_dir/weaken_verneed" "$here/weaken_verneed.cpp"
fi

for lib in "${libs[@]}"; do
  lib_dir=$(dirname "$lib")
  shim="$lib_dir/libpeerz_ios_base_init.so"
  if [ ! -f "$shim" ]; then
    g++ -O2 -shared -fPIC -o "$shim" "$here/ios_base_library_init.cpp"
  fi
  if patchelf --print-needed "$lib" | grep -qx libpeerz_ios_base_init.so; then
    continue # already patched
  fi
  # The build hard-links package files into the output folder: edit a private copy, never the NuGet cache's file.
  cp "$lib" "$lib.unlinked" && mv -f "$lib.unlinked" "$lib"
  patchelf --clear-symbol-version "$symbol" "$lib"
  "$tools_dir/weaken_verneed" "$lib" "$version"
  patchelf --add-needed libpeerz_ios_base_init.so --set-rpath '$ORIGIN' "$lib"
  echo "patched $lib for libstdc++ without $version"
done
