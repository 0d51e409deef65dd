# expect_failure(WHAT EXPECTED_TEXT OUTPUT ARGS...), shared by the CLI's bad-input ctest scripts: runs
# `${RUN} ${DDPM} ARGS...` and fails the test unless it exits non-zero with exactly one stderr line that
# matches EXPECTED_TEXT (a regex) and leaves OUTPUT unwritten.
function(expect_failure what expected_text output)
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
  elseif(EXISTS ${output})
    message(FATAL_ERROR "${what}: ${output} was written")
  endif()
  message(STATUS "${what}: exit ${rc}: ${err}")
endfunction()
