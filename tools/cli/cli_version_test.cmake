# ctest: `--version` prints package.json's version and exits 0; usage and help name the program (NAME:
# ddpm natively, ddpm-wasm for the wasm CLI), never the path it was run from. RUN (optional,
# ','-separated) runs DDPM: node for the wasm CLI. PACKAGE_JSON is the package's package.json.
include(${CMAKE_CURRENT_LIST_DIR}/cli_test_util.cmake)
file(READ ${PACKAGE_JSON} package)
string(JSON version GET "${package}" version)

execute_process(COMMAND ${RUN} ${DDPM} --version RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(STRIP "${out}" out)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "${NAME} ${version}")
  message(FATAL_ERROR "--version: exit ${rc}, printed '${out}' (expected '${NAME} ${version}') ${err}")
endif()
message(STATUS "--version: ${out}")

foreach(args "--help" "sample;--help" "train;--help")
  execute_process(COMMAND ${RUN} ${DDPM} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE ";" " " shown "${args}")
  list(LENGTH args n)
  if(n EQUAL 1)
    set(usage "Usage: ${NAME} \\[OPTIONS\\] SUBCOMMAND")
  else()
    list(GET args 0 sub)
    set(usage "Usage: ${NAME} ${sub} \\[OPTIONS\\]")
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${shown}: exit ${rc}: ${err}")
  elseif(NOT out MATCHES "(^|\n)${usage}")
    message(FATAL_ERROR "${shown}: no line '${usage}' in:\n${out}")
  endif()
  foreach(internal "${DDPM}" "ddpm-cli.js" "this.program")  # the path run, the wasm file, Emscripten's argv[0]
    string(FIND "${out}${err}" "${internal}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${shown}: the help names '${internal}':\n${out}")
    endif()
  endforeach()
endforeach()

# A parse error names the program too, on one line.
expect_one_line_failure("an unknown option" "^${NAME}: error: .*see ${NAME} --help" "" --no-such-option)
