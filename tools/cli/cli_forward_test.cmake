# ctest: `ddpm unet-forward` on the reference unet_cond io.safetensors, from the UNet folder and from a
# pipeline folder made of it, with every conv backend of this build; output.sample must match diffusers within the reference README's
# tolerance for a float32 port, |a-b| <= 1e-4 + 1e-4·|b|. RUN (optional, ','-separated) runs DDPM and
# COMPARE: node for the wasm builds.
string(REPLACE "," ";" RUN "${RUN}")
file(REMOVE_RECURSE ${OUT}/forward)
file(MAKE_DIRECTORY ${OUT}/forward/pipeline/unet)
file(COPY ${REF}/unet_cond/config.json ${REF}/unet_cond/diffusion_pytorch_model.safetensors
     DESTINATION ${OUT}/forward/pipeline/unet)
file(WRITE ${OUT}/forward/pipeline/model_index.json
     "{\"_class_name\": \"DDPMPipeline\", \"unet\": [\"diffusers\", \"UNet2DModel\"], \"scheduler\": [\"diffusers\", \"DDPMScheduler\"]}\n")

string(REPLACE "," ";" BACKENDS "${BACKENDS}")
foreach(backend ${BACKENDS})
foreach(model ${REF}/unet_cond ${OUT}/forward/pipeline)
  set(out ${OUT}/forward/out.safetensors)
  file(REMOVE ${out})
  execute_process(COMMAND ${RUN} ${DDPM} unet-forward --model ${model} --input ${REF}/unet_cond/io.safetensors
                          --output ${out} --threads 2 --backend ${backend} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ddpm unet-forward --model ${model} failed (${rc}): ${err}")
  endif()
  execute_process(COMMAND ${RUN} ${COMPARE} ${out} output.sample ${REF}/unet_cond/io.safetensors output.sample 1e-4 1e-4
                  RESULT_VARIABLE rc OUTPUT_VARIABLE line)
  message(STATUS "${model} (--backend ${backend}): ${line}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "output differs from diffusers: ${line}")
  endif()
endforeach()
endforeach()
