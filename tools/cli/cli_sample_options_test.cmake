# ctest: every `ddpm sample` option is checked before any work starts: a bad value exits non-zero with
# one stderr line naming it, and no output is written. RUN (optional, ','-separated) runs DDPM: node for
# the wasm CLI. MODEL is a class-conditional pipeline folder (the shipped fashion-mnist).
file(REMOVE_RECURSE ${OUT}/sample_options)
file(MAKE_DIRECTORY ${OUT}/sample_options)
set(dir ${OUT}/sample_options)

include(${CMAKE_CURRENT_LIST_DIR}/cli_test_util.cmake)
function(bad_sample what expected_text output)
  expect_one_line_failure("${what}" "${expected_text}" ${output} sample --model ${MODEL} --num-images 1 ${ARGN} --output ${output})
endfunction()

set(png ${dir}/out.png)
bad_sample("steps 0" "steps 0 must be" ${png} --class 1 --steps 0)
bad_sample("negative steps" "steps -5 must be" ${png} --class 1 --steps -5)
bad_sample("eta above 1" "eta 2 must be in .0, 1." ${png} --class 1 --eta 2)
bad_sample("guidance nan" "guidance scale nan must be a finite number" ${png} --class 1 --guidance-scale nan)
bad_sample("guidance interval backwards" "guidance interval .550, 100. must be two timesteps lo <= hi" ${png} --class 1 --guidance-interval 550,100)
bad_sample("guidance interval of one" "--guidance-interval: .*2 required" ${png} --class 1 --guidance-interval 100)
bad_sample("negative threads" "--threads: must be a non-negative integer, got -3" ${png} --class 1 --threads -3)
bad_sample("negative seed" "--seed: must be a non-negative integer, got -1" ${png} --class 1 --seed -1)
bad_sample("negative class" "class label -1 is out of range: the model has 10 classes .0..9." ${png} --class -1)
bad_sample("no class" "give a class label .0..9." ${png})
bad_sample("unknown scheduler" "scheduler 'euler' must be one of ddpm, ddim, dpmpp" ${png} --class 1 --scheduler euler)
bad_sample("jpeg output" "unknown extension .jpg" ${dir}/out.jpg --class 1)
bad_sample("missing output folder" "folder .*no-such-folder does not exist" ${dir}/no-such-folder/out.png --class 1)
