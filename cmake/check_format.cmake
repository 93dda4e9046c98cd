# ctest driver: fails when any C++ source differs from .clang-format.
# Inputs: SOURCE_DIR, CLANG_FORMAT.
set(files)
foreach(dir base replica loadgen memprof analysis launcher cli tests)
  file(GLOB_RECURSE found ${SOURCE_DIR}/${dir}/*.cc ${SOURCE_DIR}/${dir}/*.h)
  list(APPEND files ${found})
endforeach()
file(GLOB bench_sources ${SOURCE_DIR}/bench/*.cc)
list(APPEND files ${bench_sources})
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${files} RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "clang-format differences (run: clang-format -i <file>):\n${err}")
endif()
