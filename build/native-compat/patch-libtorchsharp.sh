#!/usr/bin/env bash
# Makes TorchSharp's libLibTorchSharp.so (built with GCC 13) load on systems with libstdc++ 12
# (Debian 12, Ubuntu 22.04). Its only GCC-13 dependency is std::ios_base_library_init()
# (version GLIBCXX_3.4.32), a no-op on libstdc++ 12. We (1) unversion that symbol, (2) mark the
# GLIBCXX_3.4.32 requirement weak, (3) link a shim that defines the symbol. All three are in-place
# ELF edits by our own elf_edit.cpp, so only g++ is needed. See docs/operations.md.
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
command -v g++ >/dev/null || { echo "error: g++ is needed to adapt libLibTorchSharp.so to this system's libstdc++ (apt-get install g++)" >&2; exit 1; }

tools_dir="$out_dir/.native-compat"
mkdir -p "$tools_dir"
if [ ! -x "$tools_dir/elf_edit" ] || [ "$here/elf_edit.cpp" -nt "$tools_dir/elf_edit" ]; then
  g++ -O2 -std=c++17 -o "$tools_dir/elf_edit" "$here/elf_edit.cpp"
fi

for lib in "${libs[@]}"; do
  lib_dir=$(dirname "$lib")
  shim="$lib_dir/libpeerz_ios_base_init.so"
  if [ ! -f "$shim" ]; then
    g++ -O2 -shared -fPIC -o "$shim" "$here/ios_base_library_init.cpp"
  fi
  # The build hard-links package files into the output folder: edit a private copy, never the NuGet cache's file.
  if [ "$(stat -c %h "$lib")" -gt 1 ]; then
    cp "$lib" "$lib.unlinked" && mv -f "$lib.unlinked" "$lib"
  fi
  # Prints "patched FILE" when it changed something; a library patched before is left as it is.
  "$tools_dir/elf_edit" "$lib" --clear-symbol-version "$symbol" --weaken-version "$version" \
    --add-needed libpeerz_ios_base_init.so --set-runpath '$ORIGIN'
done
