"""The demo's chapters are the README's story, numbered alike."""

from __future__ import annotations

import re
from pathlib import Path

from coinpos.demo.context import CHAPTERS, chapter_title

README = Path(__file__).parents[3] / "README.md"


def _readme_steps() -> list[int]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The demo", 1)[1].split("\n## ", 1)[0]
    return [int(n) for n in re.findall(r"^(\d+)\. ", section, flags=re.MULTILINE)]


def test_readme_story__has_one_step_per_chapter_in_order() -> None:
    assert _readme_steps() == list(range(1, len(CHAPTERS) + 1))


def test_chapter_title__is_numbered_from_one() -> None:
    assert chapter_title(1) == f"1. {CHAPTERS[0]}"
    assert chapter_title(len(CHAPTERS)).startswith(f"{len(CHAPTERS)}. ")
