"""Environment files stay in step with what the tests run on, and every rule names one."""

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch": "torch"}  # conda-forge names that differ from the installed dist


def _conda_pins(path: Path) -> dict[str, str]:
    spec = yaml.safe_load(path.read_text())
    assert spec["channels"][0] == "conda-forge", path
    pins = {}
    for item in spec["dependencies"]:
        if isinstance(item, str) and "=" in item:
            name, pinned = item.split("=", 1)
            pins[name] = pinned
    return pins


def _installed(name: str) -> str:
    try:
        return version(CONDA_TO_PIP.get(name, name))
    except PackageNotFoundError:
        pytest.fail(f"{name} is pinned but not installed")


@pytest.mark.parametrize("env", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_conda_env_pins_match_installed_versions(env):
    pins = _conda_pins(env)
    assert pins.pop("python").startswith("3.")
    for name, pinned in pins.items():
        # torch wheels carry a local suffix (2.14.1+cu130); conda pins the release.
        assert _installed(name).split("+")[0] == pinned, f"{env.name}: {name}"


def test_requirements_match_installed_versions():
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, pinned = line.split("==")
            assert _installed(name).split("+")[0] == pinned, name


def test_every_rule_names_a_conda_env_that_exists():
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        text = smk.read_text()
        blocks = re.split(r"\n(?=rule |use rule )", text)
        for block in blocks:
            if block.startswith("rule "):
                name = block.split(":")[0]
                match = re.search(r'conda:\s*\n\s*"([^"]+)"', block)
                assert match, f"{smk.name}: {name} has no conda directive"
                assert (smk.parent / match.group(1)).resolve().is_file(), match.group(1)
