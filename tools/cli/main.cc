// ddpm: the native command-line tool (see shared DESIGN.md "CLI"). Bad input exits non-zero with one
// line on stderr; outputs are written atomically, so a failed run leaves no file behind.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"

#ifndef DDPM_VERSION
#error "DDPM_VERSION (package.json's version) is defined by tools/cli/CMakeLists.txt"
#endif

namespace {
// The name usage, help and errors give: the command as users type it, never argv[0] (a build path, or
// under Node "./this.program"). The wasm build is run by the npm package's bin, `ddpm-wasm`.
#if defined(__EMSCRIPTEN__)
constexpr const char* kProgram = "ddpm-wasm";
#else
constexpr const char* kProgram = "ddpm";
#endif
}  // namespace

int main(int argc, char** argv) {
  using namespace ddpm::cli;
  CLI::App app{std::string(kProgram) + ": DDPM sampling, training and UNet tools (diffusers-compatible)", kProgram};
  app.set_version_flag("--version", std::string(kProgram) + " " + DDPM_VERSION, "print the version and exit");
  app.require_subcommand(1);
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(MakeInfoCommand());
  commands.push_back(MakeUNetForwardCommand());
  commands.push_back(MakeSampleCommand());
  commands.push_back(MakeTrainCommand());
  commands.push_back(MakeInpaintCommand());
  commands.push_back(MakeImageToImageCommand());
  commands.push_back(MakeInvertCommand());
  commands.push_back(MakeInterpolateCommand());
  commands.push_back(MakePlotLossCommand());
  commands.push_back(MakeConvertCommand());
  commands.push_back(MakeBenchCommand());
  std::vector<std::pair<CLI::App*, Command*>> subs;
  for (auto& c : commands) subs.emplace_back(c->Register(app), c.get());
  try {
    app.parse(argc, argv);  // keeps the name given above (CLI11 takes argv[0] only for an unnamed app)
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: error: %s (see %s --help)\n", kProgram, e.what(), kProgram);
    return 2;
  }
  for (auto& [sub, cmd] : subs) {
    if (sub->parsed()) return cmd->Run();
  }
  return 2;
}
