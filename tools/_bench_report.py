"""The benchmark's report: the printed table and the JSON of every figure."""

from __future__ import annotations

from typing import Any

from _bench_core import Result, Section, Target

__all__ = ["against_baseline", "as_json", "render"]

RIGHT = "every contender received exactly the text sent"


def _shown(target: Target) -> tuple[str, str]:
    """A target's value and what it must be, as printed."""
    if target.op == "is":  # a yes-or-no check
        return ("yes" if target.value else "no"), "yes"
    value = "-" if target.value is None else f"{target.value:,.2f}"
    unit = target.unit if target.unit == "x" else " " + target.unit
    return value + unit, f"{target.op} {target.threshold:,.4g}{unit}"


def _target_lines(targets: list[Target]) -> list[str]:
    """One line a target; the targets of a group (one per body, say) summed up in one line."""
    lines: list[str] = []
    groups: dict[str, list[Target]] = {}
    for target in targets:
        if target.group:
            if target.group not in groups:
                groups[target.group] = []
                lines.append(f"\0{target.group}")  # its place, filled in below
            groups[target.group].append(target)
            continue
        value, want = _shown(target)
        verdict = "PASS" if target.passed else "FAIL"
        note = f"  ({target.note})" if target.note else ""
        lines.append(f"   {target.name:<56} {value:>11}  {want:<12} {verdict}{note}")
    for i, line in enumerate(lines):
        if not line.startswith("\0"):
            continue
        group = groups[line[1:]]
        passed = sum(t.passed for t in group)
        worst = min(group, key=lambda t: -1.0 if t.value is None else t.value)
        value, want = _shown(worst)
        verdict = "PASS" if passed == len(group) else "FAIL"
        where = worst.name.rsplit(", ", 1)[-1]
        lines[i] = (
            f"   {worst.group + ', worst body':<56} {value:>11}  {want:<12} {verdict}"
            f"  ({passed} of {len(group)} bodies pass; worst: {where})"
        )
    return lines


def render(
    environment: dict[str, Any], results: dict[str, tuple[Section, Result]], failures: list[str]
) -> str:
    """The whole printed report."""
    env = environment
    lines = [
        f"darkai-sdk {env['darkai_sdk']} benchmark: {env['mode']}, {env['repeats']} rounds "
        f"(medians), {env['cpus']} CPUs, Python {env['python']}, aiohttp {env['aiohttp']}, "
        f"requests {env['requests']}"
    ]
    targets: list[Target] = []
    for number, (section, result) in enumerate(results.values(), 1):
        lines += ["", f"{number}. {section.title}"]
        lines += ["   " + line for line in result.lines]
        targets += result.targets
    lines += ["", "Targets"]
    lines += _target_lines(targets)
    lines.append("")
    if failures:
        lines.append("FAILED (a contender received the wrong text, or a part broke):")
        lines += [f"   {failure}" for failure in failures]
    else:
        lines.append(RIGHT)
    return "\n".join(lines)


def as_json(
    environment: dict[str, Any], results: dict[str, tuple[Section, Result]], failures: list[str]
) -> dict[str, Any]:
    """Every figure, target and failure, for ``--json``."""
    targets = [
        {**vars(t), "passed": t.passed} for _, result in results.values() for t in result.targets
    ]
    return {
        "environment": environment,
        "sections": {key: result.figures for key, (_, result) in results.items()},
        "targets": targets,
        "failures": failures,
        "ok": not failures,
        "targets_passed": all(t["passed"] for t in targets),
    }


def against_baseline(report: dict[str, Any], baseline: dict[str, Any], name: str) -> str:
    """Each target's figure now beside its figure in ``baseline`` (an earlier ``--json``).

    Targets are ratios within one run (against the seed, the raw transport,
    ``import requests``), so they compare across runs better than raw speeds.
    A figure more than 10% worse than before (of the threshold, for a ceiling) is
    marked ``worse``; on a busy machine, run both again before believing one.
    """
    before = {target["name"]: target for target in baseline.get("targets", [])}
    lines = [f"Against {name} ({baseline['environment'].get('darkai_sdk', '?')})"]
    lines.append(f"   {'target':<66} {'before':>9} {'now':>9}  change")
    for target in report["targets"]:
        old = before.get(target["name"])
        if old is None or old["value"] is None or target["value"] is None:
            continue
        was, now = old["value"], target["value"]
        if target["op"] == "is":
            change = "" if was == now else ("now passes" if target["passed"] else "worse")
        elif target["op"] == ">=" and was > 0:  # a ratio: how many times better now
            better = now / was
            change = f"{better:.2f}x" + ("  worse" if better < 0.9 else "")
        else:  # a ceiling (MiB, ms, a ratio to stay under): how much it moved
            moved = now - was
            change = f"{moved:+.2f}" + ("  worse" if moved > 0.1 * abs(target["threshold"]) else "")
        lines.append(f"   {target['name']:<66} {was:>9.2f} {now:>9.2f}  {change}")
    return "\n".join(lines)
