"""Caveats: every assumption of a run that changes a result, said in Chinese and English.

A planner puts their name on what a run prints, so what stood in for what
(restaurants for canteens, parks for shelters), which data are invented or
estimated, who lives in no community, who is beyond the network, which types
were not found and which thresholds rest on weak or local sources are all
written into run.json and the report's "说明 / Caveats" section. The study
and the run make them; the outputs only print them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Caveat", "people_text"]


@dataclass(frozen=True)
class Caveat:
    """One assumption or limit of a run.

    Attributes
    ----------
    topic
        ``stand_in``, ``invented``, ``estimated``, ``communities``, ``outside``,
        ``unreachable``, ``no_sites``, ``threshold``, ``speed`` or ``warning``
        (a warning raised while reading or running, in its own words).
    zh, en
        The caveat in Chinese and in English.
    """

    topic: str
    zh: str
    en: str

    def text(self, lang: str) -> str:
        """Return the caveat in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.zh if lang == "zh" else self.en

    def as_record(self) -> dict[str, Any]:
        """Return the caveat for run.json."""
        return {"topic": self.topic, "zh": self.zh, "en": self.en}


def people_text(number: float, total: float) -> tuple[str, str]:
    """Return ``number`` of people (and their share of ``total``) in Chinese and English."""
    share = number / total if total > 0 else 0.0
    return f"{number:,.0f} 人（占 {share:.1%}）", f"{number:,.0f} people ({share:.1%})"
