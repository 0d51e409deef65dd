# Shared by the CLI ctest scripts. RUN (','-separated, optional) runs DDPM: node for the wasm CLI.
string(REPLACE "," ";" RUN "${RUN}")

# `ddpm ARGN` must exit non-zero with exactly one line on stderr mentioning `expected_text`, and leave
# none of the files `outputs` (a list) behind.
function(expect_one_line_failure what expected_text outputs)
  execute_process(COMMAND ${RUN} ${DDPM} ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE stdout)
  string(STRIP "${err}" err)
  string(REGEX MATCHALL "\n" newlines "${err}")
  list(LENGTH newlines n)
  if(rc EQUAL 0)
    message(FATAL_ERROR "${what}: exit code 0")
  elseif(NOT n EQUAL 0 OR err STREQUAL "")
    message(FATAL_ERROR "${what}: expected one line on stderr, got:\n${err}")
  elseif(NOT err MATCHES "${expected_text}")
    message(FATAL_ERROR "${what}: stderr does not mention '${expected_text}': ${err}")
  endif()
  foreach(o ${outputs})
    if(EXISTS ${o})
      message(FATAL_ERROR "${what}: an output file was written (${o})")
    endif()
  endforeach()
  message(STATUS "${what}: exit ${rc}: ${err}")
endfunction()
