// The schedulers' Embind classes (JS names are the diffusers class names; web/src/schedulers.js wraps them).
#include "diffusion/scheduling_ddim.h"
#include "diffusion/scheduling_ddim_inverse.h"
#include "diffusion/scheduling_ddpm.h"
#include "diffusion/scheduling_dpmsolver_multistep.h"
#include "diffusion/scheduling_repaint.h"
#include "scheduler_bindings.h"

EMSCRIPTEN_BINDINGS(ddpm_schedulers) {
  ddpm::wasm::SchedulerHandle<ddpm::DDPMScheduler>::Bind("DDPMScheduler");
  ddpm::wasm::SchedulerHandle<ddpm::DDIMScheduler>::Bind("DDIMScheduler");
  ddpm::wasm::SchedulerHandle<ddpm::DPMSolverMultistepScheduler>::Bind("DPMSolverMultistepScheduler");
  ddpm::wasm::SchedulerHandle<ddpm::RePaintScheduler>::Bind("RePaintScheduler");
  ddpm::wasm::SchedulerHandle<ddpm::DDIMInverseScheduler>::Bind("DDIMInverseScheduler");
}
