# Copies a built module (ddpm.mjs, ddpm.wasm, and ddpm.worker.js for pthread builds) from FROM into the
# package folder TO, replacing what was there. ddpm.worker.js is CommonJS: PACKAGE_JSON ({"type":"commonjs"})
# goes into TO's parent (dist/) so that the repository's "type":"module" does not apply to it.
file(REMOVE_RECURSE ${TO})
file(MAKE_DIRECTORY ${TO})
file(COPY ${FROM}/ddpm.mjs ${FROM}/ddpm.wasm DESTINATION ${TO})
if(EXISTS ${FROM}/ddpm.worker.js)
  file(COPY ${FROM}/ddpm.worker.js DESTINATION ${TO})
endif()
get_filename_component(dist ${TO} DIRECTORY)
configure_file(${PACKAGE_JSON} ${dist}/package.json COPYONLY)
