"""A clone on its own passes `make test`: nothing in the repository reaches outside it.

The project was built beside a folder of shared material (the design brief, a field study,
published test vectors, benchmark anchors). Someone who clones the repository has none of
it, so every tracked file must work and read well without it:

* no path into that folder (``../shared``) or into the machine it was built on (``/work/``);
  the one exception is the optional side-by-side benchmark against the reference relays
  (docs/performance.md), which says it is optional and names the folder relative to the
  repository;
* the third-party vectors the tests read are in tests/vectors/third_party/, each folder
  with its licence and a SOURCE.txt naming the upstream repository and commit;
* every relative link in README.md and docs/ points at a file inside the repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THIRD_PARTY = ROOT / "tests" / "vectors" / "third_party"
SELF = Path(__file__).resolve().relative_to(ROOT).as_posix()  # it spells the patterns out
OUTSIDE = (b"../" + b"shared", b"/" + b"work/")
# `... / "shared"` built from a path's parent: the same escape, written as Python.
PARENT_SHARED = re.compile(rb"""(\.parent\b|parents\[\d+\])[^\n]*["']shared["']""")
# The optional benchmark against the reference relays: these files may name their folder.
OPTIONAL_ANCHORS = b"../" + b"shared/anchors/"
ANCHOR_FILES = {"docs/performance.md", "bench/report.py", "bench/sitting.sh"}
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def tracked_files() -> list[str]:
    """Every file git tracks (a clone has exactly these); without git, the working tree."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "__pycache__", "node_modules", "test-artifacts", "data"}
        return [
            str(path.relative_to(ROOT))
            for path in ROOT.rglob("*")
            if path.is_file() and not skip & set(path.relative_to(ROOT).parts)
        ]
    names = [name for name in listed.decode("utf-8").split("\0") if name]
    assert len(names) > 100, f"git listed only {len(names)} files in {ROOT}"
    return names


def outside_references(name: str, text: bytes) -> list[str]:
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        allowed = name in ANCHOR_FILES and OPTIONAL_ANCHORS in line
        hits = [pattern for pattern in OUTSIDE if pattern in line and not allowed]
        if hits or PARENT_SHARED.search(line):
            problems.append(f"{name}:{number}: {line.strip()[:120]!r}")
    return problems


def test_no_tracked_file_reaches_outside_the_repository() -> None:
    problems: list[str] = []
    for name in tracked_files():
        path = ROOT / name
        if path.is_file() and name != SELF:
            problems += outside_references(name, path.read_bytes())
    assert problems == [], "paths outside the repository:\n" + "\n".join(problems)


def test_the_check_finds_each_kind_of_escape() -> None:
    """Not vacuous: each spelling that broke a lone clone before is caught."""
    escapes = {
        "tests/a.py": b'C2SP = Path("' + OUTSIDE[1] + b'shared/vectors/c2sp")',
        "tests/b.py": b'W = Path(__file__).resolve().parents[3] / "shared" / "vectors"',
        "tests/c.py": b'W = ROOT.parent / "shared" / "vectors" / "wycheproof"',
        "README.md": b"see [DESIGN](" + OUTSIDE[0] + b"/DESIGN.md)",
        "docs/performance.md": OUTSIDE[1] + b"shared/anchors/peers/prosody.sh",
    }
    for name, line in escapes.items():
        assert outside_references(name, line), name
    assert outside_references("docs/performance.md", OPTIONAL_ANCHORS + b"peers/x.sh") == []
    assert outside_references("README.md", OPTIONAL_ANCHORS + b"peers/x.sh")


def test_the_optional_benchmark_says_it_is_optional() -> None:
    text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    for paragraph in text.split("\n\n"):
        if OPTIONAL_ANCHORS.decode() in paragraph:
            assert "optional" in paragraph.lower(), paragraph


def test_every_third_party_folder_names_its_source_and_licence() -> None:
    assert THIRD_PARTY.is_dir(), f"missing {THIRD_PARTY}: the published vectors the tests read"
    folders = sorted(path for path in THIRD_PARTY.iterdir() if path.is_dir())
    assert [folder.name for folder in folders] == ["c2sp", "transparency-dev-merkle", "wycheproof"]
    for folder in folders:
        source = folder / "SOURCE.txt"
        assert source.is_file(), f"{folder} has no SOURCE.txt"
        text = source.read_text(encoding="utf-8")
        assert re.search(r"https://github\.com/\S+", text), f"{source}: no upstream repository"
        assert re.search(r"\bcommit [0-9a-f]{40}\b", text), f"{source}: no upstream commit"
        assert (folder / "LICENSE").is_file(), f"{folder} has no LICENSE"


def test_relative_links_in_the_readme_and_docs_stay_inside() -> None:
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    problems = []
    for document in documents:
        for target in MARKDOWN_LINK.findall(document.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address, an e-mail address, or a heading on the same page
            resolved = (document.parent / target.split("#")[0]).resolve()
            inside = resolved.is_relative_to(ROOT)
            if not inside or not resolved.exists():
                problems.append(f"{document.relative_to(ROOT)}: ({target})")
    assert problems == [], "links to nothing in the repository:\n" + "\n".join(problems)
