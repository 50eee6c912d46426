// GCC 13 added std::ios_base_library_init() so that iostreams are initialised once per library
// instead of once per translation unit. libstdc++ 12 initialises them per translation unit, so on
// those systems the call has nothing left to do: an empty definition is the faithful substitute.
namespace std {
__attribute__((visibility("default"))) void ios_base_library_init() {}
}
