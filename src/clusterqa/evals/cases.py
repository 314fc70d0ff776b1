"""The eval set: hand-written cases in YAML, validated by a schema.

A case names the evidence it needs as short quotes from the documents (relevance survives
re-chunking), the facts an answer must state (each a list of accepted alternatives), what it
must not state, and whether the corpus answers it at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clusterqa.errors import ConfigError

Category = Literal["lookup", "list", "place", "numbers", "multi", "follow-up", "comparison",
                   "unanswerable"]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]


class EvalCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    question: str = Field(min_length=3)
    region: str | None = None
    category: Category
    answerable: bool
    evidence: list[str] = []
    facts: list[list[str]] = []
    must_not_state: list[str] = []
    # For a list question, every entity that answers it, each a list of accepted names.
    items: list[list[str]] = []
    # Earlier turns of the conversation this question follows, oldest first.
    history: list[str] = []
    # For a follow-up, the question it should be rewritten to (the gate checks it).
    asked: str | None = None
    # Ask with the region filter set to ``region`` (default: ask across the whole corpus).
    filter_region: bool = False
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> EvalCase:
        if self.answerable:
            if not self.evidence:
                raise ValueError("an answerable case needs at least one evidence quote")
            if any(not alts for alts in self.facts):
                raise ValueError("every fact needs at least one accepted wording")
            if any(not alts or not all(a.strip() for a in alts) for alts in self.items):
                raise ValueError("every item needs at least one accepted name")
        else:
            if self.evidence or self.facts:
                raise ValueError("an unanswerable case has no evidence and no facts")
            if self.category != "unanswerable":
                raise ValueError("answerable: false goes with category: unanswerable")
        if self.filter_region and not self.region:
            raise ValueError("filter_region needs a region")
        return self


def load_cases(path: Path) -> list[EvalCase]:
    """All cases in ``path``; a malformed case is an error naming the case and the field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the eval set ({exc})") from exc
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: the eval set must be a YAML list of cases")
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, start=1):
        name = item.get("id") if isinstance(item, dict) else None
        label = f"case '{name}'" if name else f"case #{i}"
        try:
            case = EvalCase.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'case'}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"{path}: {label} is malformed: {problems}") from None
        if case.id in seen:
            raise ConfigError(f"{path}: {label} is malformed: duplicate id")
        seen.add(case.id)
        cases.append(case)
    return cases
