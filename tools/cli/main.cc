// ddpm: the native command-line tool (see shared DESIGN.md "CLI"). Bad input exits non-zero with one
// line on stderr; outputs are written atomically, so a failed run leaves no file behind.
#include <cstdio>
#include <memory>
#include <vector>

#include "commands.h"

int main(int argc, char** argv) {
  using namespace ddpm::cli;
  CLI::App app{"ddpm: DDPM sampling, training and UNet tools (diffusers-compatible)"};
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
  commands.push_back(MakeBenchCommand());
  std::vector<std::pair<CLI::App*, Command*>> subs;
  for (auto& c : commands) subs.emplace_back(c->Register(app), c.get());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ddpm: error: %s (see ddpm --help)\n", e.what());
    return 2;
  }
  for (auto& [sub, cmd] : subs) {
    if (sub->parsed()) return cmd->Run();
  }
  return 2;
}
