"""The baseline and the gate: what changed against the saved run, and whether that is a
regression (a case that passed now fails, or a headline metric fell past the tolerance)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusterqa.evals.scoring import HEADLINE, CaseResult, summarize


@dataclass
class Comparison:
    to_fail: list[str] = field(default_factory=list)
    to_pass: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    deltas: dict[str, dict[str, float]] = field(default_factory=dict)
    regressions: list[str] = field(default_factory=list)  # why the gate fails

    @property
    def failed(self) -> bool:
        return bool(self.regressions)


def compare(results: Sequence[CaseResult], baseline: dict[str, Any], tolerance: float
            ) -> Comparison:
    """Flipped cases and metric deltas against the baseline, over the cases both have."""
    base_cases: dict[str, dict[str, Any]] = baseline.get("cases", {})
    comp = Comparison()
    shared = [r for r in results if r.id in base_cases]
    for r in results:
        before = base_cases.get(r.id)
        if before is None:
            comp.new.append(r.id)
        elif before["passed"] and not r.passed:
            comp.to_fail.append(r.id)
        elif not before["passed"] and r.passed:
            comp.to_pass.append(r.id)
    base_rows = [_from_baseline(cid, base_cases[cid]) for cid in (r.id for r in shared)]
    now, then = summarize(shared), summarize(base_rows)
    for key in HEADLINE:
        if key in now and key in then:
            delta = round(now[key] - then[key], 4)
            comp.deltas[key] = {"baseline": then[key], "now": now[key], "delta": delta}
            if delta < -tolerance:
                comp.regressions.append(f"{key} fell {then[key]:.3f} -> {now[key]:.3f} "
                                        f"(tolerance {tolerance})")
    if comp.to_fail:
        comp.regressions.append(f"{len(comp.to_fail)} case(s) passed before and fail now: "
                                + ", ".join(comp.to_fail))
    return comp


def _from_baseline(case_id: str, row: dict[str, Any]) -> CaseResult:
    return CaseResult(case_id, "", row.get("region"), row.get("category", ""),
                      row.get("answerable", True), "", row.get("abstained", False),
                      row["passed"], [], row.get("metrics", {}), 0.0)


def baseline_payload(created: str, config: dict[str, Any], summary: dict[str, float],
                     results: Sequence[CaseResult]) -> dict[str, Any]:
    """What ``--save-baseline`` keeps of a run: per-case outcomes and metrics."""
    return {
        "created": created,
        "config": config,
        "summary": summary,
        "cases": {r.id: {"passed": r.passed, "region": r.region, "category": r.category,
                         "answerable": r.answerable, "abstained": r.abstained,
                         "metrics": r.metrics} for r in results},
    }


def load_baseline(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
