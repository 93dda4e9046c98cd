# ctest driver for a libFuzzer target: fuzz a scratch copy of the committed
# seed corpus (new inputs must not land in the source tree) for a fixed time.
# Inputs: FUZZER, CORPUS, WORK, SECONDS.
file(REMOVE_RECURSE ${WORK})
file(COPY ${CORPUS}/ DESTINATION ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -print_final_stats=1
          -artifact_prefix=${WORK}/ ${WORK}/corpus
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (exit ${rc}); crashing input saved under ${WORK}/")
endif()
