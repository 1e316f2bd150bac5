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
            pins[name] = pinned.split("=")[0]  # name=version[=build]
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


def _rules() -> list[tuple[str, str, str]]:
    """(file, rule name, rule text) of every rule, `use rule` variants included."""
    found = []
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"\n(?=rule |use rule )", smk.read_text()):
            if block.startswith(("rule ", "use rule ")):
                found.append((smk.name, block.split(":")[0], block))
    return found


def test_every_rule_names_a_conda_env_and_the_container_built_from_it():
    rules = _rules()
    assert len(rules) >= 12
    for smk, name, block in rules:
        if block.startswith("use rule"):
            assert "conda:" not in block and "container:" not in block, name  # inherited
            continue
        conda = re.search(r'conda:\s*\n\s*"\.\./\.\./envs/(\w+)\.yaml"', block)
        container = re.search(r'container:\s*\n\s*image\("(\w+)"\)', block)
        assert conda and container, f"{smk}: {name} needs both conda: and container:"
        assert conda.group(1) == container.group(1), f"{smk}: {name} mixes environments"
        assert (REPO / "envs" / f"{conda.group(1)}.yaml").is_file()
        assert (REPO / "containers" / f"{conda.group(1)}.def").is_file()


def test_every_gpu_rule_asks_the_slurm_profile_for_a_gpu():
    import yaml

    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    gpu_rules = {name.split()[-1] for _, name, block in _rules() if re.search(r"gpu=1", block)}
    assert {"train", "predict", "predict_tiles", "predict_test_images"} <= gpu_rules
    for name in gpu_rules:
        resources = profile["set-resources"].get(name, {})
        assert resources.get("gpu") == 1 and resources.get("slurm_partition") == "gpu", name


@pytest.mark.parametrize("preset", ["smoke", "cpu"])
def test_two_core_presets_give_every_rule_two_threads_at_most(preset):
    # A SLURM job asks for its rule's threads as CPUs (profiles/slurm); CI's one-node cluster
    # has 2, so a rule asking for more under the smoke preset would never start.
    schema = yaml.safe_load((REPO / "workflow/steelseg/config.schema.yaml").read_text())
    base = yaml.safe_load((REPO / "config.yaml").read_text())
    override = yaml.safe_load((REPO / "workflow" / "presets" / f"{preset}.yaml").read_text())
    sections = schema["properties"]
    threaded = [name for name, part in sections.items() if "threads" in part.get("properties", {})]
    assert {"synth", "rf", "train"} <= set(threaded)
    for name in threaded:
        default = sections[name]["properties"]["threads"]["default"]
        threads = {"threads": default} | base.get(name, {}) | override.get(name, {})
        assert threads["threads"] <= 2, f"{preset}.yaml: {name}.threads {threads['threads']}"


def _sections(definition: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Header keys and %section bodies of an Apptainer definition file."""
    header, sections, current = {}, {}, None
    for line in definition.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("%"):
            current = line[1:].split()[0]
            sections[current] = []
        elif current is None:
            key, value = line.split(":", 1)
            header[key.strip()] = value.strip()
        else:
            sections[current].append(line.strip())
    return header, sections


@pytest.mark.parametrize("env", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.stem)
def test_each_env_has_a_container_definition_that_installs_it(env):
    header, sections = _sections((REPO / "containers" / f"{env.stem}.def").read_text())
    assert header["Bootstrap"] == "docker" and header["From"].startswith("condaforge/miniforge3:")
    assert ":" in header["From"] and not header["From"].endswith(":latest")  # a fixed tag
    assert sections["files"] == [f"envs/{env.name} /opt/steelseg/env.yaml"]
    assert "conda env update --name base --file /opt/steelseg/env.yaml" in sections["post"]
    assert any(line.startswith("python -c") for line in sections["test"])
    assert "export PATH=/opt/conda/bin:$PATH" in sections["environment"]


def test_gpu_env_pins_a_cuda_build_of_pytorch():
    spec = yaml.safe_load((REPO / "envs" / "torch.yaml").read_text())
    assert "pytorch=2.14.1=cuda*" in spec["dependencies"]
    _, sections = _sections((REPO / "containers" / "torch.def").read_text())
    assert any(line.startswith("export CONDA_OVERRIDE_CUDA=") for line in sections["post"])
