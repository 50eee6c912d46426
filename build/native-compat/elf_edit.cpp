// Edits an ELF64 shared library in place, without changing its size or layout, so that the build
// needs only g++ (not patchelf) to adapt TorchSharp's libLibTorchSharp.so to libstdc++ 12
// (docs/operations.md#libstdc-12). The edits, each idempotent:
//   --clear-symbol-version SYMBOL  its .gnu.version entry becomes 1 (VER_NDX_GLOBAL), as patchelf does;
//   --weaken-version VERSION       sets VER_FLG_WEAK on that requirement in .gnu.version_r, so the
//                                  dynamic loader only warns when the system library lacks it;
//   --add-needed LIB --set-runpath PATH
//                                  puts DT_NEEDED LIB first in .dynamic and makes DT_RUNPATH PATH.
// The last pair cannot grow the file, so it needs two things the library already has: a spare
// DT_NULL slot at the end of .dynamic (linkers leave some), and a DT_RUNPATH string at least as long
// as "PATH\0LIB" that nothing else shares (TorchSharp's, naming its CI build folder, has 145 bytes). Both
// new strings are written over that one. Without them it stops with a message and changes nothing.
// Prints "patched FILE" when it changed the file; exit 0 on success, 1 on error, 2 on bad usage.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <elf.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Edits {
    std::string clear_symbol_version, weaken_version, add_needed, set_runpath;
};

class ElfImage {
public:
    explicit ElfImage(std::vector<char> bytes) : bytes_(std::move(bytes)) {
        auto header = read<Elf64_Ehdr>(0);
        if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64 ||
            header.e_ident[EI_DATA] != ELFDATA2LSB)
            throw std::runtime_error("not a little-endian ELF64 file");
        for (size_t i = 0; i < header.e_shnum; i++) sections_.push_back(read<Elf64_Shdr>(header.e_shoff + i * sizeof(Elf64_Shdr)));
    }

    const std::vector<char>& bytes() const { return bytes_; }

    template <typename T> T read(uint64_t offset) const {
        if (offset > bytes_.size() || bytes_.size() - offset < sizeof(T)) throw std::runtime_error("truncated file");
        T value;
        std::memcpy(&value, bytes_.data() + offset, sizeof(T));
        return value;
    }

    template <typename T> void write(uint64_t offset, const T& value) {
        read<T>(offset); // bounds check
        std::memcpy(bytes_.data() + offset, &value, sizeof(T));
    }

    // The one section of this type (.dynsym, .dynamic, .gnu.version, .gnu.version_r); null when absent.
    const Elf64_Shdr* section(uint32_t type) const {
        for (const auto& s : sections_)
            if (s.sh_type == type) return &s;
        return nullptr;
    }

    const Elf64_Shdr& linked(const Elf64_Shdr& s) const {
        if (s.sh_link >= sections_.size()) throw std::runtime_error("bad section link");
        return sections_[s.sh_link];
    }

    std::string string_at(const Elf64_Shdr& strings, uint64_t index) const {
        if (index >= strings.sh_size) throw std::runtime_error("bad string offset");
        const char* start = bytes_.data() + strings.sh_offset + index;
        return std::string(start, strnlen(start, strings.sh_size - index));
    }

private:
    std::vector<char> bytes_;
    std::vector<Elf64_Shdr> sections_;
};

const Elf64_Shdr& require(const Elf64_Shdr* s, const char* name) {
    if (s == nullptr) throw std::runtime_error(std::string("no ") + name + " section");
    return *s;
}

bool clear_symbol_version(ElfImage& elf, const std::string& symbol) {
    const auto& dynsym = require(elf.section(SHT_DYNSYM), ".dynsym");
    const auto& versym = require(elf.section(SHT_GNU_versym), ".gnu.version");
    const auto& names = elf.linked(dynsym);
    for (uint64_t i = 0; i < dynsym.sh_size / sizeof(Elf64_Sym); i++) {
        if (elf.string_at(names, elf.read<Elf64_Sym>(dynsym.sh_offset + i * sizeof(Elf64_Sym)).st_name) != symbol) continue;
        uint64_t entry = versym.sh_offset + i * sizeof(Elf64_Half);
        if (elf.read<Elf64_Half>(entry) == VER_NDX_GLOBAL) return false;
        elf.write<Elf64_Half>(entry, VER_NDX_GLOBAL);
        return true;
    }
    throw std::runtime_error("symbol not found: " + symbol);
}

bool weaken_version(ElfImage& elf, const std::string& version) {
    const auto& verneed = require(elf.section(SHT_GNU_verneed), ".gnu.version_r");
    const auto& names = elf.linked(verneed);
    uint64_t need_offset = verneed.sh_offset;
    for (uint64_t n = 0; n < verneed.sh_info; n++) {
        auto need = elf.read<Elf64_Verneed>(need_offset);
        uint64_t aux_offset = need_offset + need.vn_aux;
        for (uint16_t a = 0; a < need.vn_cnt; a++) {
            auto aux = elf.read<Elf64_Vernaux>(aux_offset);
            if (elf.string_at(names, aux.vna_name) == version) {
                if (aux.vna_flags & VER_FLG_WEAK) return false;
                aux.vna_flags |= VER_FLG_WEAK;
                elf.write(aux_offset, aux);
                return true;
            }
            aux_offset += aux.vna_next;
        }
        need_offset += need.vn_next;
    }
    throw std::runtime_error("version requirement not found: " + version);
}

bool names_string(Elf64_Sxword tag) {
    return tag == DT_NEEDED || tag == DT_SONAME || tag == DT_RPATH || tag == DT_RUNPATH || tag == DT_AUXILIARY || tag == DT_FILTER;
}

// Offsets into .dynstr that something other than .dynamic entry `except` refers to.
std::vector<uint64_t> string_references(const ElfImage& elf, const std::vector<Elf64_Dyn>& dynamic, size_t except) {
    std::vector<uint64_t> refs;
    for (size_t i = 0; i < dynamic.size(); i++)
        if (i != except && names_string(dynamic[i].d_tag)) refs.push_back(dynamic[i].d_un.d_val);
    if (const auto* dynsym = elf.section(SHT_DYNSYM))
        for (uint64_t i = 0; i < dynsym->sh_size / sizeof(Elf64_Sym); i++)
            refs.push_back(elf.read<Elf64_Sym>(dynsym->sh_offset + i * sizeof(Elf64_Sym)).st_name);
    if (const auto* verneed = elf.section(SHT_GNU_verneed)) {
        uint64_t need_offset = verneed->sh_offset;
        for (uint64_t n = 0; n < verneed->sh_info; n++) {
            auto need = elf.read<Elf64_Verneed>(need_offset);
            refs.push_back(need.vn_file);
            uint64_t aux_offset = need_offset + need.vn_aux;
            for (uint16_t a = 0; a < need.vn_cnt; a++) {
                auto aux = elf.read<Elf64_Vernaux>(aux_offset);
                refs.push_back(aux.vna_name);
                aux_offset += aux.vna_next;
            }
            need_offset += need.vn_next;
        }
    }
    if (const auto* verdef = elf.section(SHT_GNU_verdef)) {
        uint64_t def_offset = verdef->sh_offset;
        for (uint64_t d = 0; d < verdef->sh_info; d++) {
            auto def = elf.read<Elf64_Verdef>(def_offset);
            uint64_t aux_offset = def_offset + def.vd_aux;
            for (uint16_t a = 0; a < def.vd_cnt; a++) {
                auto aux = elf.read<Elf64_Verdaux>(aux_offset);
                refs.push_back(aux.vda_name);
                aux_offset += aux.vda_next;
            }
            def_offset += def.vd_next;
        }
    }
    return refs;
}

bool add_needed(ElfImage& elf, const std::string& library, const std::string& runpath) {
    const auto& section = require(elf.section(SHT_DYNAMIC), ".dynamic");
    const auto& strings = elf.linked(section);
    std::vector<Elf64_Dyn> dynamic;
    for (uint64_t i = 0; i < section.sh_size / sizeof(Elf64_Dyn); i++) {
        dynamic.push_back(elf.read<Elf64_Dyn>(section.sh_offset + i * sizeof(Elf64_Dyn)));
        if (dynamic.back().d_tag == DT_NULL) break;
    }
    size_t runpath_entry = dynamic.size();
    for (size_t i = 0; i < dynamic.size(); i++) {
        if (dynamic[i].d_tag == DT_NEEDED && elf.string_at(strings, dynamic[i].d_un.d_val) == library) return false;
        if (dynamic[i].d_tag == DT_RUNPATH) runpath_entry = i;
    }
    if (runpath_entry == dynamic.size()) throw std::runtime_error("no DT_RUNPATH string to reuse for the new names");
    if (dynamic.size() >= section.sh_size / sizeof(Elf64_Dyn)) throw std::runtime_error("no spare DT_NULL slot in .dynamic");

    // "PATH\0LIB\0" replaces the old runpath string, which must be long enough and shared with nothing.
    uint64_t start = dynamic[runpath_entry].d_un.d_val;
    uint64_t room = elf.string_at(strings, start).size() + 1;
    std::string replacement = runpath + '\0' + library + '\0';
    if (replacement.size() > room) throw std::runtime_error("the DT_RUNPATH string is too short to hold the new names");
    for (uint64_t ref : string_references(elf, dynamic, runpath_entry))
        if (ref >= start && ref < start + room) throw std::runtime_error("the DT_RUNPATH string is shared with another name");
    for (size_t i = 0; i < room; i++) elf.write<char>(strings.sh_offset + start + i, i < replacement.size() ? replacement[i] : '\0');

    // The new DT_NEEDED goes first, like patchelf's; the rest, DT_NULL included, move up one slot.
    Elf64_Dyn needed{};
    needed.d_tag = DT_NEEDED;
    needed.d_un.d_val = start + runpath.size() + 1;
    dynamic.insert(dynamic.begin(), needed);
    for (size_t i = 0; i < dynamic.size(); i++) elf.write(section.sh_offset + i * sizeof(Elf64_Dyn), dynamic[i]);
    return true;
}

bool apply(ElfImage& elf, const Edits& edits) {
    bool changed = false;
    if (!edits.clear_symbol_version.empty()) changed |= clear_symbol_version(elf, edits.clear_symbol_version);
    if (!edits.weaken_version.empty()) changed |= weaken_version(elf, edits.weaken_version);
    if (!edits.add_needed.empty()) changed |= add_needed(elf, edits.add_needed, edits.set_runpath);
    return changed;
}

// Writes beside the file and renames over it, so an interrupted build never leaves a half-written library.
void replace_file(const std::string& path, const std::vector<char>& bytes) {
    std::string temporary = path + ".elf_edit";
    {
        std::ofstream output(temporary, std::ios::binary | std::ios::trunc);
        output.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!output.good()) throw std::runtime_error("cannot write " + temporary);
    }
    std::filesystem::permissions(temporary, std::filesystem::status(path).permissions());
    std::filesystem::rename(temporary, path);
}

} // namespace

int main(int argc, char** argv) {
    const char* usage = "usage: elf_edit FILE [--clear-symbol-version SYMBOL] [--weaken-version VERSION] [--add-needed LIB --set-runpath PATH]\n";
    if (argc < 2 || argc % 2 != 0) return std::fputs(usage, stderr), 2;
    std::string path = argv[1];
    Edits edits;
    for (int i = 2; i < argc; i += 2) {
        std::string option = argv[i];
        if (option == "--clear-symbol-version") edits.clear_symbol_version = argv[i + 1];
        else if (option == "--weaken-version") edits.weaken_version = argv[i + 1];
        else if (option == "--add-needed") edits.add_needed = argv[i + 1];
        else if (option == "--set-runpath") edits.set_runpath = argv[i + 1];
        else return std::fputs(usage, stderr), 2;
    }
    if (edits.add_needed.empty() != edits.set_runpath.empty()) return std::fputs(usage, stderr), 2;
    try {
        std::ifstream input(path, std::ios::binary);
        if (!input) throw std::runtime_error("cannot read the file");
        ElfImage elf(std::vector<char>((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>()));
        if (!apply(elf, edits)) return 0;
        replace_file(path, elf.bytes());
        std::printf("patched %s\n", path.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: elf_edit %s: %s\n", path.c_str(), e.what());
        return 1;
    }
}
