"""`kubeprops run`: conformance properties against one target, a summary and report files."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from kubeprops.properties.conformance import (
    PASS,
    PROPERTIES,
    SKIPPED,
    PropertyResult,
    resolve_controllers,
    run_conformance,
    run_notes,
    target_capabilities,
)
from kubeprops.properties.parallel import run_conformance_parallel
from kubeprops.properties.profiles import DEFAULT_PROFILE, ENV_VAR, profile_settings
from kubeprops.reference_model.release import Release, for_version

from .progress import Progress, wanted
from .report import SYMBOL, RunInfo, write_reports


def fail(message: str) -> int:
    print(f"kubeprops: error: {message}", file=sys.stderr)
    return 2


def run_command(args: argparse.Namespace, *, command_line: str) -> int:
    from kubeprops import PINNED_RELEASE
    from kubeprops.adapters.registry import UnknownAdapter, load_adapter_factory, target_version

    profile = args.profile or os.environ.get(ENV_VAR) or DEFAULT_PROFILE
    try:
        controllers = resolve_controllers(
            args.controllers.split(",") if args.controllers is not None else None
        )
        settings = profile_settings(profile)
        factory = load_adapter_factory(args.adapter, **adapter_options(args))
        version = target_version(args.adapter, PINNED_RELEASE, **adapter_options(args))
        release = model_release(args.model_release, version)
    except (ValueError, UnknownAdapter) as err:
        return fail(str(err))
    if args.max_examples is not None:
        from hypothesis import settings as Settings

        settings = Settings(settings, max_examples=args.max_examples)

    # the live line follows one property at a time; with -j the result lines are the progress
    live = Progress(len(controllers) * len(PROPERTIES)) if wanted(sys.stderr, args.quiet) else None

    def progress(result: PropertyResult) -> None:
        if live is not None:
            live.finished()
        if not args.quiet:
            print(
                f"  {result.controller:<11} {result.property:<20} {SYMBOL[result.verdict]:<11} "
                f"{result.stats.examples:>4} examples {result.stats.steps:>5} steps {result.seconds:7.1f}s",
                flush=True,
            )

    if not args.quiet:
        print(
            f"kubeprops: checking {', '.join(controllers)} on {args.adapter} {version} "
            f"(model release {release.version}, profile {profile})",
            flush=True,
        )
    if args.jobs > 1:
        overrides = {"max_examples": args.max_examples} if args.max_examples is not None else {}
        report = run_conformance_parallel(
            factory,
            jobs=args.jobs,
            controllers=controllers,
            profile=profile,
            overrides=overrides,
            release=release,
            on_result=progress,
        )
    else:
        with live or contextlib.nullcontext():
            report = run_conformance(
                factory,
                controllers=controllers,
                settings=settings,
                release=release,
                on_result=progress,
                on_start=live.begin if live is not None else None,
            )
    for result in report.results:
        if result.verdict not in (PASS, SKIPPED):
            print(f"\n--- {result.controller}/{result.property}: {result.verdict}\n{result.message}")
    passed = sum(r.verdict == PASS for r in report.results)
    skipped = sum(r.verdict == SKIPPED for r in report.results)
    tail = f", {skipped} skipped" if skipped else ""
    print(f"\nkubeprops: {passed} of {len(report.results)} properties passed{tail} (exit {report.exit_code})")
    if args.report is not None:
        notes = run_notes(target_capabilities(factory))
        info = RunInfo(args.adapter, f"{args.adapter} {version}", profile, command_line, notes)
        for path in write_reports(report, info, args.report):
            print(f"kubeprops: wrote {path}")
    return report.exit_code


def model_release(chosen: str | None, target: str) -> Release:
    """The release the model follows: --model-release, else the target's own (ValueError when kubeprops
    does not model it, naming the option that picks another)."""
    try:
        return for_version(chosen or target)
    except ValueError as err:
        if chosen:
            raise ValueError(f"--model-release {chosen}: {err}") from None
        raise ValueError(
            f"{err}; the target reports {target}: pick a modelled release with --model-release"
        ) from None


def adapter_options(args: argparse.Namespace) -> dict[str, object]:
    """Options for the chosen adapter; for kubernetes the kubeconfig and context are checked now
    (raising ValueError naming the option), so a typo is a usage error, not a failed property."""
    kubeconfig, context = getattr(args, "kubeconfig", None), getattr(args, "context", None)
    if args.adapter != "kubernetes":
        if kubeconfig is not None or context is not None:
            raise ValueError("--kubeconfig and --context apply to --adapter kubernetes only")
        return {}
    from kubeprops.adapters.kubernetes.client import load_api_client

    load_api_client(kubeconfig, context).close()
    return {"kubeconfig": kubeconfig, "context": context}
