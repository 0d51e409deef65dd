// Emscripten's getenv() does not see the host environment under Node; copy it in.
Module.preRun = (Module.preRun || []).concat([() => Object.assign(ENV, process.env)]);
