"""The benchmark's results written up: the console table and the Markdown table that the
"How fast is it?" page includes (bench/results/*.md)."""

from __future__ import annotations


def console_lines(summary: dict) -> list[str]:
    """The results as the lines `make bench` prints."""
    lines = [f"machine: {summary['machine']}"]
    header = f"{'implementation':<26}{'feat':>5}{'batch':>6}{'step ms':>9}{'ratio':>7}"
    header += f"{'compile s':>10}{'fwd win/s':>11}{'GFLOP/s':>9}{'% peak':>8}"
    lines.append(header)
    for r in summary["results"]:
        lines.append(
            f"{r['implementation']:<26}{r['features']:>5}{r['batch']:>6}{r['step_ms']:>9.1f}"
            f"{r['step_ratio_to_finlstm']:>7.2f}{r['compile_s']:>10.2f}"
            f"{r['forward_windows_per_s']:>11.0f}{r['gflops']:>9.1f}"
            f"{100 * r['share_of_peak']:>7.0f}%"
        )
    ratio, many = summary["ratio_torch_over_finlstm"], summary["many_models"]
    lines.append(f"ratio_torch_over_finlstm (batch 64, 5 features): {ratio:.2f}")
    lines.append(
        f"{many['models']} models in one vmap-ed step: {many['all_models_step_ms']:.0f} ms, "
        f"{many['cost_in_single_models']:.1f}x one model's {many['one_model_step_ms']:.1f} ms "
        f"(one after another: {many['sequential_step_ms']:.0f} ms; each device's models in "
        f"turn with lax.map: {many['in_turn_step_ms']:.0f} ms, "
        f"{many['in_turn_cost_in_single_models']:.1f}x)"
    )
    return lines


def markdown_table(summary: dict) -> str:
    """The results as the Markdown table the site's "How fast is it?" page includes."""
    m = summary["machine"]
    if m["jax_backend"] == "gpu":
        where = (
            f"on one {m['device']} GPU, JAX {m['jax']}, PyTorch {m['torch']} with cuDNN "
            f"(host: {m['cores']} CPU cores)"
        )
    else:
        devices = m.get("jax_devices", 1)
        where = (
            f"on {m['cores']} CPU cores ({m['cpu']}), JAX {m['jax']} on cpu with {devices} "
            f"XLA device{'s' if devices > 1 else ''}, PyTorch threads {m['torch_threads']}"
        )
    lines = [
        f"Measured by `make bench` {where}; float32 matmul peak "
        f"{m['matmul_peak_gflops']:.0f} GFLOP/s. Step: median of a full train step "
        "(forward, backward, Adam), in rounds of consecutive steps of each implementation in "
        "turn; ratio: step time over finlstm's (below 1 is faster than finlstm). finlstm "
        "splits each batch over the XLA devices (`finlstm.train.jit_train_step`, as `fit` "
        'does); "one device" rows do not; Flax and Keras run on one device, as their own '
        "code does.",
        "",
        "| implementation | features | batch | step (ms) | ratio | first step (s) "
        "| forward, batch 1024 (windows/s) | GFLOP/s | % of peak |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary["results"]:
        lines.append(
            f"| {r['implementation']} | {r['features']} | {r['batch']} | {r['step_ms']:.1f} "
            f"| {r['step_ratio_to_finlstm']:.2f} | {r['compile_s']:.2f} "
            f"| {r['forward_windows_per_s']:.0f} | {r['gflops']:.1f} "
            f"| {100 * r['share_of_peak']:.0f}% |"
        )
    many = summary["many_models"]
    lines += [
        "",
        f"PyTorch's step time over finlstm's at batch 64, 5 features: "
        f"**{summary['ratio_torch_over_finlstm']:.2f}**.",
        "",
        f"**{many['models']} models at once** (batch {many['batch']}, {many['features']} "
        f"features, different seeds, one `jax.vmap`-ed step, the models split over "
        f"{many.get('devices', 1)} device(s)): {many['all_models_step_ms']:.0f} "
        f"ms per step, **{many['cost_in_single_models']:.1f}x** one model's "
        f"{many['one_model_step_ms']:.1f} ms; one after another they would take "
        f"{many['sequential_step_ms']:.0f} ms."
        + (
            f" Each device's models in turn (`jax.lax.map` inside `jax.shard_map`, one "
            f"program, as `fit_many` runs them on a CPU): {many['in_turn_step_ms']:.0f} ms, "
            f"**{many['in_turn_cost_in_single_models']:.1f}x**."
            if "in_turn_step_ms" in many
            else ""
        ),
        "",
    ]
    return "\n".join(lines)


def course_line(course: dict) -> str:
    """The course timings in one line, as `python -m bench.course` prints them."""
    at_once = (
        f", {course['lessons_cold_at_once_s']:.0f} s {course['jobs']} at a time, "
        f"{course['lessons_warm_at_once_s']:.0f} s with the compile cache filled"
        if "jobs" in course
        else ""
    )
    return (
        f"course: every lesson executed in {course['lessons_cold_s']:.0f} s "
        f"({sum(course.get('lessons_compile', {}).values()):.0f} s of it compiling){at_once}; "
        f"unchanged rebuild {course['rebuild_unchanged_s']:.1f} s "
        f"({course['lessons_executed_in_rebuild']} lessons re-executed)"
    )


def course_table(course: dict) -> list[str]:
    """The whole course's build as Markdown lines: seconds per lesson and, where the run
    measured it, how many of them its kernel spent compiling JAX programs."""
    compiling = course.get("lessons_compile", {})

    def compile_cell(name):
        return f"{compiling[name]:.0f}" if name in compiling else "not measured"

    total = sum(compiling.values())
    one_at_a_time = " one at a time" if "jobs" in course else ""
    lines = [
        "| the whole course | seconds | of which compiling |",
        "|---|---:|---:|",
        f"| every lesson executed from scratch{one_at_a_time} ({len(course['lessons'])} lessons) "
        f"| {course['lessons_cold_s']:.0f} | {f'{total:.0f}' if compiling else 'not measured'} |",
        *(
            f"| &nbsp;&nbsp;{name} | {seconds:.0f} | {compile_cell(name)} |"
            for name, seconds in course["lessons"].items()
        ),
    ]
    if "jobs" in course:
        warm_compile = sum(course["lessons_warm_compile"].values())
        lines += [
            f"| every lesson from scratch, {course['jobs']} at a time (`make lessons`) "
            f"| {course['lessons_cold_at_once_s']:.0f} | |",
            f"| the same again, compiled programs read from the disk cache "
            f"| {course['lessons_warm_at_once_s']:.0f} | {warm_compile:.0f} |",
        ]
    return [
        *lines,
        f"| `mkdocs build --strict` with nothing changed "
        f"({course['lessons_executed_in_rebuild']} lessons re-executed) "
        f"| {course['rebuild_unchanged_s']:.1f} | |",
        "",
    ]


def _where(machine: dict) -> str:
    """The machine and versions of a first-epoch run, in words."""
    torch = f", PyTorch {machine['torch']}" if machine.get("torch") else ""
    return (
        f"{machine['cores']} CPU cores ({machine['cpu']}), JAX {machine['jax']}, Flax "
        f"{machine['flax']}, Keras {machine['keras']}{torch}"
    )


def first_epoch_lines(summary: dict) -> list[str]:
    """The first-epoch results as the lines `python -m bench.first_epoch` prints."""
    lines = [f"machine: {_where(summary['machine'])}; settings: {summary['settings']}"]
    lines.append(
        f"{'implementation':<18}{'cold 1st':>9}{'warm 1st':>9}{'again':>7}{'steady':>8}"
        f"{'cold/st':>8}{'warm/st':>8}{'script cold':>12}{'script warm':>12}"
    )
    for name, r in summary["implementations"].items():
        lines.append(
            f"{name:<18}{r['first_epoch_cold_s']:>9.2f}{r['first_epoch_warm_s']:>9.2f}"
            f"{r['again_s']:>7.2f}{r['steady_epoch_s']:>8.2f}{r['cold_over_steady']:>8.2f}"
            f"{r['warm_over_steady']:>8.2f}{r['script_cold_s']:>12.1f}{r['script_warm_s']:>12.1f}"
        )
    ratio = summary.get("script_ratio_torch_over_finlstm")
    if ratio:
        lines.append(
            f"script_ratio_torch_over_finlstm: cold {ratio['cold']:.2f}, warm {ratio['warm']:.2f}"
        )
    return lines


def first_epoch_table(summary: dict) -> str:
    """The first-epoch results as the Markdown the "How fast is it?" page includes."""
    s = summary["settings"]
    rounds = f"median of {s['repeats']} rounds" if s["repeats"] > 1 else "one round"
    quick = (
        " A `--quick` run: a few batches per epoch, so the epochs are shorter and the first "
        "epoch's compile weighs more than in the full run."
        if s["quick"]
        else ""
    )
    load = summary["machine"].get("load_average_at_start")
    busy = (
        f" The machine was busy with other work (load average {load:.1f} at the start on "
        f"{summary['machine']['cores']} cores), which slows every row."
        if load is not None and load > 0.5 * summary["machine"]["cores"]
        else ""
    )
    lines = [
        f"Measured by `python -m bench.first_epoch` on {_where(summary['machine'])}; "
        f"{s['train_windows']} training and {s['val_windows']} validation windows, batch "
        f"{s['batch']}; every figure a new process, the implementations in turn, {rounds}."
        f"{quick}{busy}",
        "",
        "| implementation | first epoch, cold (s) | first epoch, warm cache (s) "
        "| a second fit (s) | steady epoch (s) | cold / steady | warm / steady |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = summary["implementations"]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['first_epoch_cold_s']:.2f} | {r['first_epoch_warm_s']:.2f} "
            f"| {r['again_s']:.2f} | {r['steady_epoch_s']:.2f} | {r['cold_over_steady']:.1f}x "
            f"| {r['warm_over_steady']:.1f}x |"
        )
    epochs = s["script_epochs"]
    lines += [
        "",
        f"| implementation | {epochs}-epoch script, cold (s) "
        f"| {epochs}-epoch script, warm cache (s) |",
        "|---|---:|---:|",
        *(
            f"| {name} | {r['script_cold_s']:.1f} | {r['script_warm_s']:.1f} |"
            for name, r in rows.items()
        ),
    ]
    ratio = summary.get("script_ratio_torch_over_finlstm")
    if ratio:
        lines += [
            "",
            f"PyTorch's {epochs}-epoch script time over finlstm's: "
            f"**{ratio['cold']:.2f}** with an empty cache, **{ratio['warm']:.2f}** with it "
            "filled (above 1: finlstm's script finishes first).",
        ]
    return "\n".join(lines) + "\n"
