#!/usr/bin/python3
"""What each sampling setting buys one model, on the judge of tools/eval/fashion_quality.py.

  nice -n 5 /usr/bin/python3 tools/eval/study.py MODEL_DIR [--settings NAME ...] [--ddpm1000]

For every setting: 1,000 class-conditional samples (100 per class, seeds 1000+class) drawn by
tools/eval/sample_fashion.sh with that setting's `ddpm sample` flags, timed (wall seconds of all
1,000 images, --threads threads, default 2: compare times only between runs on an equally busy
machine), then judged. Prints one markdown table row per setting as it finishes
(and keeps the table in OUT/table.md, the figures in OUT/NAME/quality.json, a grid in OUT/NAME/grid.png):

  | setting | flags | sample accuracy | Fréchet | real-vs-real floor | sampling s | goal (acc, FD) |

(goal: issue 12's, sample accuracy >= the judge's real test accuracy - 2 points, and Fréchet <= 2x
the floor; the judge's real test accuracy is printed above the table and is in every quality.json)

A setting gives only the flags it is about; whatever it leaves out comes from the model's
sampling_defaults.json (the shipped defaults), else from the CLI's own defaults, and the `setting`
column spells out what was in effect. `defaults` passes no flag at all: the model as shipped.

Why a snapshot: a model that is still training rewrites its folder at every checkpoint, so by default
the pipeline files (model_index.json, sampling_defaults.json, unet/, scheduler/) are copied to
OUT/model first and every setting samples the same weights (--no-snapshot samples the folder itself).

Settings (--list prints them): defaults; guidance 1/1.5/2/3 (g1 g1.5 g2 g3); DDIM eta 0 at 50 and 100
steps (ddim50 ddim100), DDIM eta 1 at 100 (ddim100-eta1); DPM-Solver++ at 15/20/30 (dpmpp15 dpmpp20
dpmpp30); DDPM 1000 steps (ddpm1000) only with --ddpm1000 or when named, it is slow. More with
--custom NAME='flags' (e.g. --custom g4='--guidance-scale 4'); --common 'flags' is added to every
setting (e.g. --common '--guidance-scale 2' to compare samplers at guidance 2). --reuse keeps the
samples of an earlier run with the same weights and flags (e.g. to re-judge with a new judge); their
recorded sampling time is reported.
"""
import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = {
    "defaults": [],
    "g1": ["--guidance-scale", "1"],
    "g1.5": ["--guidance-scale", "1.5"],
    "g2": ["--guidance-scale", "2"],
    "g3": ["--guidance-scale", "3"],
    "ddim50": ["--scheduler", "ddim", "--steps", "50", "--eta", "0"],
    "ddim100": ["--scheduler", "ddim", "--steps", "100", "--eta", "0"],
    "ddim100-eta1": ["--scheduler", "ddim", "--steps", "100", "--eta", "1"],
    "dpmpp15": ["--scheduler", "dpmpp", "--steps", "15"],
    "dpmpp20": ["--scheduler", "dpmpp", "--steps", "20"],
    "dpmpp30": ["--scheduler", "dpmpp", "--steps", "30"],
    "ddpm1000": ["--scheduler", "ddpm", "--steps", "1000"],
}
SLOW = {"ddpm1000"}
CLI_DEFAULT_STEPS = {"ddpm": 1000, "ddim": 50, "dpmpp": 20}  # `ddpm sample --help`
BUILT_IN = {"scheduler": "ddim", "steps": 50, "eta": 0.0, "guidance_scale": 1.0}  # without sampling_defaults.json
PIPELINE_FILES = ["model_index.json", "sampling_defaults.json", "unet", "scheduler"]
HEADER = ("| setting | flags | sample accuracy | Fréchet | real-vs-real floor | sampling s | goal (acc, FD) |\n"
          "|---|---|---:|---:|---:|---:|---|")


def snapshot(model, dest):
    """Copy the pipeline files of `model` to `dest` (replacing an older snapshot) and return `dest`."""
    present = [p for p in PIPELINE_FILES if os.path.exists(os.path.join(model, p))]
    if not (os.path.exists(os.path.join(model, "unet", "config.json")) or os.path.exists(os.path.join(model, "config.json"))):
        sys.exit(f"study: {model} has no unet/config.json (nor is it a UNet folder); nothing to sample yet")
    if not present:  # a bare UNet folder: copy it whole
        present = os.listdir(model)
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for p in present:
        src = os.path.join(model, p)
        (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, os.path.join(tmp, p))
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return dest


def model_defaults(model):
    path = os.path.join(model, "sampling_defaults.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f), True
    return {}, False


def effective(flags, defaults):
    """The scheduler, steps, eta, guidance (and its interval) in effect for `flags` over the model's defaults, by the
    CLI's rule (src/diffusion/sampling_defaults.cc): each value given, else the model's, else the
    built-in ones; a scheduler named without steps gets that scheduler's built-in steps unless it is
    the model's own."""
    model = dict(BUILT_IN, **defaults)
    if "scheduler" in defaults and "steps" not in defaults:
        model["steps"] = CLI_DEFAULT_STEPS.get(model["scheduler"], "?")
    given = dict(zip(flags[::2], flags[1::2]))
    scheduler = given.get("--scheduler", model["scheduler"])
    steps = model["steps"] if scheduler == model["scheduler"] else CLI_DEFAULT_STEPS.get(scheduler, "?")
    steps = given.get("--steps", steps)
    eta = given.get("--eta", model["eta"])
    guidance = given.get("--guidance-scale", model["guidance_scale"])
    interval = given.get("--guidance-interval", ",".join(map(str, model.get("guidance_interval", []))))
    text = f"{scheduler} {steps}"
    if scheduler == "ddim":
        text += f", eta {float(eta):g}"
    text += f", guidance {float(guidance):g}"
    return text + (f" at t in [{interval.replace(',', ', ')}]" if interval and float(guidance) != 1 else "")


def weights_digest(model):
    """sha256 of the model's weight files: which weights a set of samples came from."""
    digest = hashlib.sha256()
    for root, _, files in sorted(os.walk(model)):
        for name in sorted(files):
            if name.endswith(".safetensors"):
                with open(os.path.join(root, name), "rb") as f:
                    digest.update(f.read())
    return digest.hexdigest()


def sample(model, out, flags, threads, ddpm, reuse=False):
    """Run sample_fashion.sh; return its wall seconds. Its output goes to OUT/NAME/sample.log, what
    was run to OUT/NAME/run.json; with `reuse`, samples whose run.json matches (same weights, flags,
    threads, CLI) are kept and their recorded seconds returned."""
    run = {"weights_sha256": weights_digest(model), "flags": flags, "threads": threads,
           "ddpm": ddpm or os.environ.get("DDPM", "build/native/ddpm")}
    record = os.path.join(out, "run.json")
    if reuse and os.path.exists(record):
        with open(record) as f:
            previous = json.load(f)
        complete = all(os.path.exists(os.path.join(out, f"class_{c}.safetensors")) for c in range(10))
        if complete and {k: previous.get(k) for k in run} == run:
            return previous["seconds"]
    env = dict(os.environ, THREADS=str(threads), DDPM=run["ddpm"])
    os.makedirs(out, exist_ok=True)
    if os.path.exists(record):
        os.remove(record)
    with open(os.path.join(out, "sample.log"), "w") as log:
        start = time.monotonic()
        result = subprocess.run(["bash", os.path.join(HERE, "sample_fashion.sh"), model, out, *flags],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
        seconds = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"study: sampling failed (exit {result.returncode}); see {out}/sample.log")
    with open(record, "w") as f:
        json.dump(dict(run, seconds=seconds), f, indent=2)
    return seconds


def judge_ready(cache):
    """Train (once) or load the judge before any sampling is timed; return its line about itself."""
    result = subprocess.run([sys.executable, os.path.join(HERE, "fashion_quality.py"), "--judge-only",
                             "--cache", cache], check=True, stdout=subprocess.PIPE, text=True)
    return result.stdout.strip()


def judge(out, cache):
    quality = os.path.join(out, "quality.json")
    subprocess.run([sys.executable, os.path.join(HERE, "fashion_quality.py"), "--samples", out,
                    "--cache", cache, "--json", quality, "--grid", os.path.join(out, "grid.png")],
                   check=True, stdout=subprocess.DEVNULL)
    with open(quality) as f:
        return json.load(f)


def row(name, setting, flags, q, seconds):
    flag_text = " ".join(flags) if flags else "(none)"
    return (f"| {name}: {setting} | `{flag_text}` | {100 * q['sample_accuracy']:.1f}% | "
            f"{q['frechet_samples_vs_real']:.2f} | {q['frechet_real_vs_real']:.2f} | {seconds:.0f} | "
            f"{'yes' if q['goal_accuracy'] else 'no'}, {'yes' if q['goal_frechet'] else 'no'} |")


def choose(args):
    settings = dict(SETTINGS)
    for custom in args.custom:
        name, _, flags = custom.partition("=")
        if not flags:
            sys.exit(f"study: --custom {custom!r}: expected NAME='flags'")
        settings[name] = shlex.split(flags)
    if args.settings:
        unknown = [s for s in args.settings if s not in settings]
        if unknown:
            sys.exit(f"study: unknown setting(s) {unknown}; known: {' '.join(settings)}")
        names = args.settings
    else:
        names = [s for s in settings if s not in SLOW or args.ddpm1000]
    return [(n, shlex.split(args.common) + settings[n]) for n in names]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", help="pipeline folder (may still be training)")
    ap.add_argument("--settings", nargs="+", metavar="NAME", help="run only these (default: all but ddpm1000)")
    ap.add_argument("--ddpm1000", action="store_true", help="include DDPM 1000 steps (slow)")
    ap.add_argument("--custom", action="append", default=[], metavar="NAME='flags'",
                    help="an extra setting, e.g. g4='--guidance-scale 4' (repeatable)")
    ap.add_argument("--common", default="", metavar="'flags'", help="flags added to every setting")
    ap.add_argument("--out", help="where samples and figures go (default build/eval/study/<model name>)")
    ap.add_argument("--cache", default="build/eval", help="the judge's cache (fashion_quality.py --cache)")
    ap.add_argument("--threads", type=int, default=2, help="`ddpm sample --threads` (timings depend on it)")
    ap.add_argument("--ddpm", help="the CLI to sample with (default: $DDPM, else build/native/ddpm)")
    ap.add_argument("--no-snapshot", action="store_true", help="sample the folder itself, not a copy")
    ap.add_argument("--reuse", action="store_true",
                    help="keep samples (and their timing) drawn before from the same weights and flags")
    ap.add_argument("--list", action="store_true", help="print the known settings and exit")
    args = ap.parse_args()
    if args.list:
        for name, flags in SETTINGS.items():
            print(f"{name:14s} {' '.join(flags) or '(no flags: the model defaults)'}"
                  f"{'   (only with --ddpm1000 or by name)' if name in SLOW else ''}")
        return
    if not args.model:
        ap.error("MODEL_DIR is required")
    chosen = choose(args)
    judge_line = judge_ready(args.cache)
    print(judge_line, flush=True)
    out = args.out or os.path.join("build/eval/study", os.path.basename(os.path.normpath(args.model)))
    os.makedirs(out, exist_ok=True)
    model = args.model if args.no_snapshot else snapshot(args.model, os.path.join(out, "model"))
    defaults, has_defaults = model_defaults(model)
    print(f"model {args.model}{'' if args.no_snapshot else f' (snapshot in {model})'}; defaults: "
          f"{json.dumps(defaults) if has_defaults else 'no sampling_defaults.json, the CLI defaults'}; "
          f"{args.threads} sampling threads", flush=True)
    table = os.path.join(out, "table.md")
    with open(table, "a") as f:
        f.write(f"\n<!-- {time.strftime('%Y-%m-%d %H:%M')} {args.model}; {judge_line} -->\n{HEADER}\n")
    print(HEADER, flush=True)
    for name, flags in chosen:
        setting_dir = os.path.join(out, name)
        seconds = sample(model, setting_dir, flags, args.threads, args.ddpm, args.reuse)
        line = row(name, effective(flags, defaults), flags, judge(setting_dir, args.cache), seconds)
        print(line, flush=True)
        with open(table, "a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
