# ctest: `ddpm train --resume` of a run that has finished exits 0, says there is nothing to train, and
# everything both runs print on stderr is printable text (a progress line once carried an uninitialised
# buffer). RUN (optional, ','-separated) runs DDPM: node for the wasm CLI.
include(${CMAKE_CURRENT_LIST_DIR}/cli_test_util.cmake)
set(dir ${OUT}/train_resume)
file(REMOVE_RECURSE ${dir})
file(MAKE_DIRECTORY ${dir})
set(run_args train --data toy2d:moons --out ${dir}/moons --steps 20 --batch-size 64)

execute_process(COMMAND ${RUN} ${DDPM} ${run_args} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_FILE ${dir}/first.stderr)
file(READ ${dir}/first.stderr err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the 20-step run: exit ${rc}:\n${err}")
endif()
expect_printable_text("the 20-step run" ${dir}/first.stderr)
if(NOT EXISTS ${dir}/moons/checkpoint.safetensors)
  message(FATAL_ERROR "the 20-step run left no checkpoint")
endif()

execute_process(COMMAND ${RUN} ${DDPM} ${run_args} --resume RESULT_VARIABLE rc OUTPUT_QUIET
                ERROR_FILE ${dir}/resumed.stderr)
file(READ ${dir}/resumed.stderr err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "--resume of the finished run: exit ${rc}:\n${err}")
endif()
expect_printable_text("--resume of the finished run" ${dir}/resumed.stderr)
if(NOT err MATCHES "reached --steps 20; nothing to train")
  message(FATAL_ERROR "--resume of the finished run does not say that there is nothing to train:\n${err}")
endif()
message(STATUS "--resume of the finished run: exit 0: ${err}")
