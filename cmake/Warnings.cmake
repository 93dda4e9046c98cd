# heapdrift_warnings: an INTERFACE target every heapdrift target links, so the
# warning set is defined once. Third-party headers are included as SYSTEM.
add_library(heapdrift_warnings INTERFACE)
target_compile_options(heapdrift_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Wunused -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
# GCC's -Wnull-dereference gives false reports inside libstdc++'s streambuf
# at -O1 under ThreadSanitizer; every other build keeps it.
option(HEAPDRIFT_NULL_DEREFERENCE_WARNING "Build with -Wnull-dereference" ON)
if(HEAPDRIFT_NULL_DEREFERENCE_WARNING)
  target_compile_options(heapdrift_warnings INTERFACE -Wnull-dereference)
endif()
if(HEAPDRIFT_WERROR)
  target_compile_options(heapdrift_warnings INTERFACE -Werror)
endif()
