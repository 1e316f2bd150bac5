"""The repository stays a product: a lean tracked tree, a short README, no workflow outputs or
history in it, and the install facts it states hold."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HISTORY = re.compile(r"experiments? \d+|issue #?\d+|former[_ ]default", re.IGNORECASE)


def tracked() -> list[str]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the tracked tree is what git lists")
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True
    ).stdout
    return [name for name in out.decode().split("\0") if name and (REPO / name).exists()]


def test_tracked_tree_is_lean_and_holds_no_workflow_output():
    files = tracked()
    size = sum((REPO / name).stat().st_size for name in files if (REPO / name).is_file())
    assert size <= 15 * 2**20, f"tracked tree {size / 2**20:.1f} MiB > 15 MiB"
    assert not [name for name in files if name.startswith("results/")]


def test_readme_is_short_and_its_links_exist():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) <= 16 * 1024, f"README.md is {len(readme.encode())} bytes"
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    local = [link for link in links if not link.startswith("http")]
    assert len([link for link in local if link.startswith("docs/")]) >= 4
    assert all((REPO / link).exists() for link in local), local


def test_docs_link_only_to_what_exists():
    for page in (REPO / "docs").glob("*.md"):
        for link in re.findall(r"\]\(([^)#]+)\)", page.read_text(encoding="utf-8")):
            if not link.startswith("http"):
                assert (page.parent / link).exists(), (page.name, link)


def test_code_and_config_explain_the_present_not_the_history():
    places = ["workflow", "config.yaml", "Snakefile", "profiles", "envs", "containers"]
    hits = [
        f"{name}:{number}: {line.strip()}"
        for name in tracked()
        if name.split("/")[0] in places and not name.startswith("workflow/published/")
        for number, line in enumerate(
            (REPO / name).read_text(encoding="utf-8", errors="replace").splitlines(), 1
        )
        if HISTORY.search(line)
    ]
    assert not hits, "\n".join(hits)


def test_python_version_and_licence_are_stated_alike():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert "Python ≥ 3.11" in (REPO / "README.md").read_text(encoding="utf-8")
    assert project["license"]["text"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    assert (REPO / "CHANGELOG.md").is_file()
