"""The documentation site builds with ``mkdocs build --strict``, and a reader finds every task from the front page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import bedrock_ops
from tests.docs.docs_blocks import DOCS, ROOT, nav_pages, pages

_ID = re.compile(r'\bid="([^"]+)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The site built once, strictly (about 7 s), into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return result, out


def test_site_builds_strictly_without_a_warning(site: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    result, out = site
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))] == []
    assert (out / "index.html").exists()


def test_every_public_name_has_its_anchor_in_the_api_reference(
    site: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = site
    anchors = {anchor for page in (out / "api").rglob("*.html") for anchor in _ID.findall(page.read_text())}
    missing = [name for name in bedrock_ops.__all__ if name != "__version__" and f"bedrock_ops.{name}" not in anchors]
    assert missing == []


def test_no_page_of_the_site_repeats_an_anchor(site: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = site
    repeated = {
        str(page.relative_to(out)): sorted(a for a, n in Counter(_ID.findall(page.read_text())).items() if n > 1)
        for page in out.rglob("*.html")
    }
    assert {page: ids for page, ids in repeated.items() if ids} == {}


def test_every_page_is_in_the_nav() -> None:
    assert sorted(str(p.relative_to(DOCS)) for p in pages()) == sorted(nav_pages())


def test_the_front_page_links_every_guide_and_the_api_reference() -> None:
    front = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([^)#]+)", front))
    guides = {p for p in nav_pages() if p.startswith("guides/")}
    assert len(guides) >= 7
    assert guides - linked == set()
    assert "api/index.md" in linked


def test_make_docs_builds_the_site_strictly() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ndocs: setup\n", 1)[1].split("\n\n", 1)[0]
    assert "mkdocs build --strict" in recipe


def test_the_guides_show_the_example_apps_they_include(site: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = site
    page = (out / "guides" / "train-and-serve" / "index.html").read_text()
    assert "DistilledServiceDesk" in page  # a construct id of examples/model_customization.py only
    assert [str(p.relative_to(out)) for p in out.rglob("*.html") if "--8&lt;--" in p.read_text()] == []


def test_served_models_show_the_grants_and_metrics_they_inherit(
    site: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = site
    anchors = {anchor for page in (out / "api").rglob("*.html") for anchor in _ID.findall(page.read_text())}
    for owner in ("ProvisionedThroughput", "CustomModelDeployment"):
        for member in ("grant_invoke", "metric", "metric_invocation_latency", "metric_invocation_throttles"):
            assert f"bedrock_ops.{owner}.{member}" in anchors, (owner, member)
