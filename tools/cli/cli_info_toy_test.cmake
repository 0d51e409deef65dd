# ctest: `ddpm info` takes every model `ddpm sample` takes: the shipped toy 2-D model (MODEL, models/toy2d)
# gives its class, size, scheduler and sampling defaults. RUN (optional, ','-separated) runs DDPM: node
# for the wasm CLI.
include(${CMAKE_CURRENT_LIST_DIR}/cli_test_util.cmake)
execute_process(COMMAND ${RUN} ${DDPM} info --model ${MODEL} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "info --model ${MODEL}: exit ${rc}: ${err}")
endif()
# 54,274 = (2 + 32) x 128 + 128, 3 x (128 x 128 + 128), 128 x 2 + 2: the shipped config (hidden 128, 3 hidden
# layers, time embedding 32) as its weights hold it.
foreach(line "model: +ToyMLPDenoiser, 2-D points" "layers: +34 -> 128 -> 128 -> 128 -> 128 -> 2"
             "parameters: +54274 " "scheduler: +DDPMScheduler, linear betas, 1000 train timesteps"
             "sampling defaults: +ddim, 50 steps, eta 0, guidance scale 1 \\(from .*sampling_defaults.json\\)")
  if(NOT out MATCHES "${line}")
    message(FATAL_ERROR "info --model ${MODEL}: no line matching '${line}' in:\n${out}")
  endif()
endforeach()
if(out MATCHES "UNet2DModel")
  message(FATAL_ERROR "info --model ${MODEL} describes a UNet:\n${out}")
endif()
message(STATUS "info --model ${MODEL}:\n${out}")
