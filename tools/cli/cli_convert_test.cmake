# ctest: `ddpm convert` copies a pipeline folder (MODEL) with F16 weights into OUT: the layout and the small
# files come along unchanged, the weights file is about half the size, and `ddpm info` reads the copy as the
# same model. Bad options fail with one line and write nothing. RUN (optional, ','-separated) runs DDPM.
include(${CMAKE_CURRENT_LIST_DIR}/cli_test_util.cmake)
set(dst ${OUT}/convert_f16)
file(REMOVE_RECURSE ${dst})
execute_process(COMMAND ${RUN} ${DDPM} convert --model ${MODEL} --out ${dst} --dtype f16
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "convert: exit ${rc}: ${err}")
endif()
foreach(f model_index.json sampling_defaults.json scheduler/scheduler_config.json unet/config.json)
  file(READ ${MODEL}/${f} a)
  file(READ ${dst}/${f} b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "convert: ${f} differs from the source's")
  endif()
endforeach()
file(SIZE ${MODEL}/unet/diffusion_pytorch_model.safetensors src_size)
file(SIZE ${dst}/unet/diffusion_pytorch_model.safetensors dst_size)
math(EXPR pct "100 * ${dst_size} / ${src_size}")
if(pct LESS 45 OR pct GREATER 55)
  message(FATAL_ERROR "convert: F16 weights are ${pct}% of the F32 file (${dst_size} of ${src_size} bytes)")
endif()
file(READ ${dst}/unet/diffusion_pytorch_model.safetensors head OFFSET 8 LIMIT 4096)  # after the u64 header size
if(NOT head MATCHES "\"F16\"" OR head MATCHES "\"F32\"")
  message(FATAL_ERROR "convert: the weights' header does not hold F16 tensors only:\n${head}")
endif()
foreach(m ${MODEL} ${dst})
  execute_process(COMMAND ${RUN} ${DDPM} info --model ${m} RESULT_VARIABLE rc OUTPUT_VARIABLE info_out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "info --model ${m}: exit ${rc}: ${err}")
  endif()
  string(REGEX MATCH "parameters: +[0-9]+" params "${info_out}")
  list(APPEND counts "${params}")
endforeach()
list(GET counts 0 a)
list(GET counts 1 b)
if(a STREQUAL "" OR NOT a STREQUAL b)
  message(FATAL_ERROR "convert: info reads '${b}' from the copy, '${a}' from the source")
endif()
message(STATUS "convert: ${err}")

expect_one_line_failure("convert --dtype f8" "--dtype must be f32, f16 or bf16" "${OUT}/convert_bad"
                        convert --model ${MODEL} --out ${OUT}/convert_bad --dtype f8)
expect_one_line_failure("convert onto itself" "--out must be another folder" ""
                        convert --model ${dst} --out ${dst})
expect_one_line_failure("convert a missing folder" "convert_missing" "${OUT}/convert_bad"
                        convert --model ${OUT}/convert_missing --out ${OUT}/convert_bad)
