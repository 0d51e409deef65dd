// Shared by the `ddpm` subcommands: loading a model folder and turning errors into one stderr line.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "io/diffusers_folder.h"
#include "nn/unet2d_model.h"

namespace ddpm::cli {

// Prints "ddpm <command>: error: <message>" on stderr and returns the process exit code (1).
int Fail(const std::string& command, const Status& status);

// --threads: 0 means every hardware thread.
int ResolveThreads(int requested);

// --backend: "auto" (our kernels), or a kernels::ParseBackend name (ddpm, xnnpack where built).
// Must run before the model is loaded: weights are packed for the backend active at load.
Status SelectBackend(const std::string& backend);

// Human-readable counts: 1.62M, 3.4 GFLOP.
std::string HumanCount(double v);

}  // namespace ddpm::cli
