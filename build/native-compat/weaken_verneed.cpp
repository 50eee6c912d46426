// Marks one version requirement of an ELF64 shared library weak (VER_FLG_WEAK in the matching
// Vernaux of .gnu.version_r), so the dynamic loader only warns when the system library lacks it.
// Usage: weaken_verneed FILE VERSION_NAME     exit 0 when marked (or already weak), 1 on error.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

static bool fail(const char* message) {
    std::fprintf(stderr, "weaken_verneed: %s\n", message);
    return false;
}

template <typename T> static bool read_at(const std::vector<char>& image, uint64_t offset, T& value) {
    if (offset > image.size() || image.size() - offset < sizeof(T)) return false;
    std::memcpy(&value, image.data() + offset, sizeof(T));
    return true;
}

static bool weaken(std::vector<char>& image, const std::string& version) {
    Elf64_Ehdr header;
    if (!read_at(image, 0, header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
        header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB)
        return fail("not a little-endian ELF64 file");
    std::vector<Elf64_Shdr> sections(header.e_shnum);
    for (size_t i = 0; i < sections.size(); i++)
        if (!read_at(image, header.e_shoff + i * sizeof(Elf64_Shdr), sections[i])) return fail("truncated section table");
    for (const Elf64_Shdr& section : sections) {
        if (section.sh_type != SHT_GNU_verneed) continue;
        if (section.sh_link >= sections.size()) return fail("bad string table link");
        const Elf64_Shdr& strings = sections[section.sh_link];
        uint64_t need_offset = section.sh_offset;
        for (uint64_t n = 0; n < section.sh_info; n++) {
            Elf64_Verneed need;
            if (!read_at(image, need_offset, need)) return fail("truncated verneed entry");
            uint64_t aux_offset = need_offset + need.vn_aux;
            for (uint16_t a = 0; a < need.vn_cnt; a++) {
                Elf64_Vernaux aux;
                if (!read_at(image, aux_offset, aux)) return fail("truncated vernaux entry");
                uint64_t name_offset = strings.sh_offset + aux.vna_name;
                if (name_offset >= image.size()) return fail("bad version name offset");
                if (version == std::string(image.data() + name_offset, strnlen(image.data() + name_offset, image.size() - name_offset))) {
                    aux.vna_flags |= VER_FLG_WEAK;
                    std::memcpy(image.data() + aux_offset, &aux, sizeof(aux));
                    return true;
                }
                aux_offset += aux.vna_next;
            }
            need_offset += need.vn_next;
        }
    }
    return fail(("version requirement not found: " + version).c_str());
}

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: weaken_verneed FILE VERSION_NAME\n");
        return 2;
    }
    std::ifstream input(argv[1], std::ios::binary);
    std::vector<char> image((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
    if (image.empty()) return fail("cannot read file"), 1;
    if (!weaken(image, argv[2])) return 1;
    std::ofstream output(argv[1], std::ios::binary | std::ios::trunc);
    output.write(image.data(), static_cast<std::streamsize>(image.size()));
    return output.good() ? 0 : 1;
}
