// The `ddpm` subcommands. Each registers its options on a CLI11 subcommand and runs when chosen;
// Run returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace ddpm::cli {

struct Command {
  virtual ~Command() = default;
  virtual CLI::App* Register(CLI::App& app) = 0;
  virtual int Run() = 0;
};

std::unique_ptr<Command> MakeInfoCommand();
std::unique_ptr<Command> MakeUNetForwardCommand();
std::unique_ptr<Command> MakeBenchCommand();
std::unique_ptr<Command> MakeSampleCommand();
std::unique_ptr<Command> MakeTrainCommand();
std::unique_ptr<Command> MakeInpaintCommand();
std::unique_ptr<Command> MakeImageToImageCommand();
std::unique_ptr<Command> MakeInvertCommand();
std::unique_ptr<Command> MakeInterpolateCommand();
std::unique_ptr<Command> MakePlotLossCommand();
std::unique_ptr<Command> MakeConvertCommand();

}  // namespace ddpm::cli
