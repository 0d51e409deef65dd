# ctest: `ddpm unet-forward` on bad input exits non-zero with exactly one line on stderr naming the
# problem, and writes no output file. RUN (optional, ','-separated) runs DDPM: node for the wasm CLI.
string(REPLACE "," ";" RUN "${RUN}")
file(REMOVE_RECURSE ${OUT}/bad)
file(MAKE_DIRECTORY ${OUT}/bad)
file(WRITE ${OUT}/bad/not.safetensors "this is not a safetensors file")
set(out ${OUT}/bad/out.safetensors)

include(${CMAKE_CURRENT_LIST_DIR}/cli_expect_failure.cmake)

expect_failure("nonexistent model" "no-such-model" ${out} unet-forward
               --model ${OUT}/bad/no-such-model --input ${REF}/unet_cond/io.safetensors --output ${out})
expect_failure("missing input file" "missing.safetensors" ${out} unet-forward
               --model ${REF}/unet_cond --input ${OUT}/bad/missing.safetensors --output ${out})
expect_failure("garbage input file" "not.safetensors" ${out} unet-forward
               --model ${REF}/unet_cond --input ${OUT}/bad/not.safetensors --output ${out})
expect_failure("wrong channel count" "in_channels = 1" ${out} unet-forward
               --model ${REF}/unet_cond --input ${REF}/unet_tiny/io.safetensors --output ${out})
file(READ ${REF}/unet_cond/config.json config)
string(REPLACE "\"AttnDownBlock2D\"" "\"CrossAttnDownBlock2D\"" config "${config}")
file(WRITE ${OUT}/bad/model/config.json "${config}")
file(COPY ${REF}/unet_cond/diffusion_pytorch_model.safetensors DESTINATION ${OUT}/bad/model)
expect_failure("unknown block type" "down_block_types" ${out} unet-forward
               --model ${OUT}/bad/model --input ${REF}/unet_cond/io.safetensors --output ${out})
expect_failure("not a model folder" "config.json" ${out} unet-forward
               --model ${OUT}/bad --input ${REF}/unet_cond/io.safetensors --output ${out})
expect_failure("unknown backend" "backend .cuda. must be one of" ${out} unet-forward
               --model ${REF}/unet_cond --input ${REF}/unet_cond/io.safetensors --backend cuda --output ${out})
