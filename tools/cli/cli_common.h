// Shared by the `ddpm` subcommands: loading a model folder and turning errors into one stderr line.
#pragma once

#include <memory>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/status.h"
#include "io/diffusers_folder.h"
#include "nn/unet2d_model.h"

namespace ddpm::cli {

// Prints "ddpm <command>: error: <message>" on stderr and returns the process exit code (1).
int Fail(const std::string& command, const Status& status);

// --threads N (0 = every hardware thread; negative is refused by the parser), default 1.
CLI::Option* AddThreadsOption(CLI::App* sub, int* threads);
// --seed S, a non-negative integer (a negative one is refused rather than wrapped), default 0.
CLI::Option* AddSeedOption(CLI::App* sub, uint64_t* seed, const std::string& help);
// --threads: 0 means every hardware thread.
int ResolveThreads(int requested);

// Where an output goes, checked before any work starts so a long run cannot end in an unwritable path:
// a file whose extension (any case) is one of `extensions` in an existing folder, or, when `folder_ok`,
// a path without an extension (a folder of files to create). Anything else names the problem.
Status CheckOutputPath(const std::string& path, const std::vector<std::string>& extensions, bool folder_ok);
// The extension of `path`'s last component, lower-cased ("" when none): ".png", ".safetensors".
std::string OutputExtension(const std::string& path);

// --backend: "auto" (our kernels), or a kernels::ParseBackend name (ddpm, xnnpack where built).
// Must run before the model is loaded: weights are packed for the backend active at load.
Status SelectBackend(const std::string& backend);

// Human-readable counts: 1.62M, 3.4 GFLOP.
std::string HumanCount(double v);

}  // namespace ddpm::cli
