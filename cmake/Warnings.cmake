# heapdrift_warnings: an INTERFACE target every heapdrift target links, so the
# warning set is defined once. Third-party headers are included as SYSTEM.
add_library(heapdrift_warnings INTERFACE)
target_compile_options(heapdrift_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(HEAPDRIFT_WERROR)
  target_compile_options(heapdrift_warnings INTERFACE -Werror)
endif()
