# Copies a built module (ddpm.mjs, ddpm.wasm, and ddpm.worker.js for pthread builds) from FROM, and the
# Node CLI (ddpm-cli.js, ddpm-cli.wasm, ddpm-cli.worker.js) from CLI_FROM, into the package folder TO,
# replacing what was there. The .js files are CommonJS: PACKAGE_JSON ({"type":"commonjs"}) goes into
# TO's parent (dist/) so that the repository's "type":"module" does not apply to them.
file(REMOVE_RECURSE ${TO})
file(MAKE_DIRECTORY ${TO})
file(COPY ${FROM}/ddpm.mjs ${FROM}/ddpm.wasm DESTINATION ${TO})
if(EXISTS ${FROM}/ddpm.worker.js)
  file(COPY ${FROM}/ddpm.worker.js DESTINATION ${TO})
endif()
file(COPY ${CLI_FROM}/ddpm-cli.js ${CLI_FROM}/ddpm-cli.wasm DESTINATION ${TO})
if(EXISTS ${CLI_FROM}/ddpm-cli.worker.js)
  file(COPY ${CLI_FROM}/ddpm-cli.worker.js DESTINATION ${TO})
endif()
get_filename_component(dist ${TO} DIRECTORY)
configure_file(${PACKAGE_JSON} ${dist}/package.json COPYONLY)
