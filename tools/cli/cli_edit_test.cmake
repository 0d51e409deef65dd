# ctest: the editing subcommands (inpaint, img2img, invert, interpolate, sample --latents) on unet_tiny.
# Good runs exit 0 and write their output; bad input exits non-zero with exactly one line on stderr
# naming the problem, and writes nothing. RUN (optional, ','-separated) runs DDPM: node for the wasm CLI.
include(${CMAKE_CURRENT_LIST_DIR}/cli_test_util.cmake)
set(dir ${OUT}/edit)
file(REMOVE_RECURSE ${dir})
file(MAKE_DIRECTORY ${dir})
set(model ${REF}/unet_tiny)
# PNGs from the CLI itself: a 2-image grid of unet_tiny samples (36x20 with padding: cropped and resized).
execute_process(COMMAND ${RUN} ${DDPM} sample --model ${model} --steps 2 --num-images 2 --output ${dir}/in.png
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "making the input image failed: ${err}")
endif()
file(WRITE ${dir}/not.png "this is not a PNG")

function(expect_success what output expected_text)
  execute_process(COMMAND ${RUN} ${DDPM} ${ARGN} --output ${output} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT EXISTS ${output})
    message(FATAL_ERROR "${what}: exit ${rc}, output written: ${err}")
  elseif(NOT err MATCHES "${expected_text}")
    message(FATAL_ERROR "${what}: stderr does not mention '${expected_text}': ${err}")
  endif()
  message(STATUS "${what}: ok")
endfunction()

function(expect_failure what expected_text)
  expect_one_line_failure("${what}" "${expected_text}" "${dir}/bad.png;${dir}/bad.safetensors" ${ARGN})
endfunction()

# The mask: the same grid, fitted and split at 0.5 (some pixels keep, some fill).
expect_success("inpaint" ${dir}/inpainted.png "centre-cropped"
               inpaint --model ${model} --image ${dir}/in.png --mask ${dir}/in.png --steps 4 --jump-length 2
               --jump-n-sample 2)
expect_success("img2img" ${dir}/i2i.safetensors "starting at timestep"
               img2img --model ${model} --image ${dir}/in.png --strength 0.5 --steps 4)
expect_success("invert" ${dir}/latents.safetensors "wrote"
               invert --model ${model} --image ${dir}/in.png --steps 4)
expect_success("sample --latents" ${dir}/back.png "wrote"
               sample --model ${model} --latents ${dir}/latents.safetensors --steps 4)
expect_success("interpolate" ${dir}/strip.png "wrote"
               interpolate --model ${model} --seed 1 --to-seed 2 --frames 3 --steps 2)

set(bad ${dir}/bad.png)
expect_failure("inpaint: missing image" "missing.png"
               inpaint --model ${model} --image ${dir}/missing.png --mask ${dir}/in.png --output ${bad})
expect_failure("inpaint: garbage mask" "not.png"
               inpaint --model ${model} --image ${dir}/in.png --mask ${dir}/not.png --output ${bad})
expect_failure("inpaint: class for an unconditional model" "no class embedding"
               inpaint --model ${model} --image ${dir}/in.png --mask ${dir}/in.png --class 3 --output ${bad})
expect_failure("inpaint: jump length 0" "jump-length"
               inpaint --model ${model} --image ${dir}/in.png --mask ${dir}/in.png --jump-length 0 --output ${bad})
expect_failure("img2img: strength 0" "strength"
               img2img --model ${model} --image ${dir}/in.png --strength 0 --output ${bad})
expect_failure("img2img: strength too small for the steps" "no denoising step"
               img2img --model ${model} --image ${dir}/in.png --strength 0.01 --steps 10 --output ${bad})
expect_failure("img2img: unknown scheduler" "must be one of"
               img2img --model ${model} --image ${dir}/in.png --strength 0.5 --scheduler euler --output ${bad})
expect_failure("invert: output not safetensors" "safetensors"
               invert --model ${model} --image ${dir}/in.png --output ${bad})
expect_failure("sample: latents of the wrong shape" "latents shape"
               sample --model ${REF}/unet_cond --class 1 --latents ${dir}/latents.safetensors --output ${bad})
expect_failure("sample: latents file without latents" "latents"
               sample --model ${model} --latents ${dir}/i2i.safetensors --output ${bad})
expect_failure("interpolate: one frame" "frames"
               interpolate --model ${model} --seed 1 --to-seed 2 --frames 1 --output ${bad})
