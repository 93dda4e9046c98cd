# ctest driver: fails when any C++ source differs from .clang-format.
# Inputs: SOURCE_DIR, CLANG_FORMAT.
file(GLOB_RECURSE files ${SOURCE_DIR}/replica/*.cc ${SOURCE_DIR}/replica/*.h
     ${SOURCE_DIR}/loadgen/*.cc ${SOURCE_DIR}/loadgen/*.h ${SOURCE_DIR}/memprof/*.cc
     ${SOURCE_DIR}/memprof/*.h ${SOURCE_DIR}/analysis/*.cc ${SOURCE_DIR}/analysis/*.h
     ${SOURCE_DIR}/tests/*.cc ${SOURCE_DIR}/tests/*.h ${SOURCE_DIR}/bench/*.cc)
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${files} RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "clang-format differences (run: clang-format -i <file>):\n${err}")
endif()
