"""Checks on the web app's files that need no browser: no HTML strings built from data, no
inline script or style, nothing fetched from elsewhere, every string in both languages,
and a service worker and manifest that point only at files that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "clients" / "web"
APP = WEB / "app"
I18N = WEB / "i18n"

HTML_SINKS = re.compile(r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write\b")
KEY_LINE = re.compile(r"^\s+([a-z0-9_]+):", re.MULTILINE)
USED_KEY = re.compile(
    r"""\bt\(\s*"([a-z0-9_]+)"|\bkey:\s*"([a-z0-9_]+)"|"((?:join_error|status)_[a-z_]+|[a-z_]+_(?:sent|done))\""""
)
COMMENT = re.compile(r"/\*.*?\*/|^\s*//.*$", re.DOTALL | re.MULTILINE)
PLURAL_KEY = re.compile(r"""\btn\(\s*"([a-z0-9_]+)\"""")


def js_files(*folders: Path) -> list[Path]:
    return sorted(path for folder in folders for path in folder.rglob("*.js"))


def language_files(language: str) -> list[Path]:
    """The main table and every part loaded on top of it (i18n/<part>/<language>.js)."""
    return [I18N / f"{language}.js", *sorted(I18N.glob(f"*/{language}.js"))]


def keys(language: str) -> set[str]:
    found: set[str] = set()
    for path in language_files(language):
        names = KEY_LINE.findall(path.read_text(encoding="utf-8"))
        assert not found & set(names), f"{path.name}: a key in two tables of {language}"
        found |= set(names)
    return found


def test_no_html_sinks_in_app_or_lib() -> None:
    """Message content only ever goes in through textContent: no file may use an HTML sink."""
    files = js_files(APP, WEB / "lib")
    assert files, "no JavaScript found"
    offenders = [
        f"{path.relative_to(WEB)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HTML_SINKS.search(line)
    ]
    assert offenders == []


def test_no_inline_script_style_or_foreign_urls() -> None:
    page = (WEB / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b([^>]*)>", page)
    assert scripts and all("src=" in attributes for attributes in scripts), "inline <script>"
    assert " style=" not in page and "<style" not in page
    sources = [WEB / "index.html", WEB / "sw.js", *js_files(APP, I18N), *WEB.glob("styles/*.css")]
    foreign = [
        f"{path.relative_to(WEB)}: {url}"
        for path in sources
        for url in re.findall(r"https?://[^\s\"')]+", path.read_text(encoding="utf-8"))
        if url != "http://www.w3.org/2000/svg"  # the SVG namespace, never fetched
    ]
    assert foreign == []
    uses_style_prop = [p.name for p in js_files(APP) if re.search(r"\bstyle:\s", p.read_text())]
    assert uses_style_prop == [], "inline style attributes are blocked by the CSP"


def test_both_languages_have_every_string() -> None:
    dutch, english = keys("nl"), keys("en")
    assert dutch - english == set(), "missing in English"
    assert english - dutch == set(), "missing in Dutch"
    used: set[str] = set()
    for path in js_files(APP):
        text = COMMENT.sub("", path.read_text(encoding="utf-8"))
        used |= {next(group for group in match if group) for match in USED_KEY.findall(text)}
        for base in PLURAL_KEY.findall(text):
            used |= {f"{base}_one", f"{base}_other"}
    content = (APP / "content.js").read_text(encoding="utf-8")
    blocks = re.findall(r"NUDGE_TEMPLATES\w* = \[(.*?)\]", content, re.DOTALL)
    assert len(blocks) == 2, "content.js lists the worker's and the caregiver's nudges"
    for block in blocks:
        used |= {f"nudge_{template}" for template in re.findall(r'"(\w+)"', block)}
    missing = sorted(used - dutch)
    assert missing == [], f"used but not translated: {missing}"


def test_service_worker_shell_exists() -> None:
    """The worker's install fails if one shell file is missing, so each must exist."""
    worker = (WEB / "sw.js").read_text(encoding="utf-8")
    block = re.search(r"const SHELL = \[(.*?)\];", worker, re.DOTALL)
    assert block
    shell = re.findall(r'"([^"]+)"', block.group(1))
    assert "/" in shell
    missing = [
        url for url in shell if url != "/" and not (WEB / url.removeprefix("/app/")).is_file()
    ]
    assert missing == []
    assert re.search(r'const VERSION = "[^"]+";', worker), "the cache name carries a version"


def test_manifest_is_installable() -> None:
    manifest = json.loads((WEB / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert manifest["lang"] == "nl"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert (WEB / icon["src"].removeprefix("/app/")).is_file(), icon["src"]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_strings_are_plain_text(language: str) -> None:
    """Strings are shown with textContent; markup in them would show up as literal tags."""
    for path in language_files(language):
        assert not re.search(r"<[a-z/]", path.read_text(encoding="utf-8")), path
