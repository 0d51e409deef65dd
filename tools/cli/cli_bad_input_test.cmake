# ctest: `ddpm unet-forward` on bad input exits non-zero with exactly one line on stderr naming the
# problem, and writes no output file. RUN (optional, ','-separated) runs DDPM: node for the wasm CLI.
include(${CMAKE_CURRENT_LIST_DIR}/cli_test_util.cmake)
file(REMOVE_RECURSE ${OUT}/bad)
file(MAKE_DIRECTORY ${OUT}/bad)
file(WRITE ${OUT}/bad/not.safetensors "this is not a safetensors file")
set(out ${OUT}/bad/out.safetensors)

function(expect_failure what expected_text)
  expect_one_line_failure("${what}" "${expected_text}" ${out} unet-forward ${ARGN} --output ${out})
endfunction()

expect_failure("nonexistent model" "no-such-model"
               --model ${OUT}/bad/no-such-model --input ${REF}/unet_cond/io.safetensors)
expect_failure("missing input file" "missing.safetensors"
               --model ${REF}/unet_cond --input ${OUT}/bad/missing.safetensors)
expect_failure("garbage input file" "not.safetensors"
               --model ${REF}/unet_cond --input ${OUT}/bad/not.safetensors)
expect_failure("wrong channel count" "in_channels = 1"
               --model ${REF}/unet_cond --input ${REF}/unet_tiny/io.safetensors)
file(READ ${REF}/unet_cond/config.json config)
string(REPLACE "\"AttnDownBlock2D\"" "\"CrossAttnDownBlock2D\"" config "${config}")
file(WRITE ${OUT}/bad/model/config.json "${config}")
file(COPY ${REF}/unet_cond/diffusion_pytorch_model.safetensors DESTINATION ${OUT}/bad/model)
expect_failure("unknown block type" "down_block_types"
               --model ${OUT}/bad/model --input ${REF}/unet_cond/io.safetensors)
expect_failure("not a model folder" "config.json"
               --model ${OUT}/bad --input ${REF}/unet_cond/io.safetensors)
expect_failure("unknown backend" "backend .cuda. must be one of"
               --model ${REF}/unet_cond --input ${REF}/unet_cond/io.safetensors --backend cuda)
