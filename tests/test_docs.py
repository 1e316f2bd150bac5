"""docs/configuration.md lists every key of the configuration schema with the schema's default."""

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow/steelseg/config.schema.yaml").read_text())


def shown(value) -> str:
    """A default as the page writes it: YAML flow style."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    return str(value)


def leaves(properties: dict, prefix: str = ""):
    """(dotted key, schema) of every configuration key; models' entries as models.<name>.*."""
    for key, spec in properties.items():
        name = f"{prefix}{key}"
        yield name, spec
        if "properties" in spec and spec.get("type") == "object" and key != "fractions":
            yield from leaves(spec["properties"], name + ".")
        elif isinstance(spec.get("additionalProperties"), dict):
            yield from leaves(spec["additionalProperties"]["properties"], name + ".<name>.")


def rows() -> dict[str, str]:
    page = (REPO / "docs/configuration.md").read_text(encoding="utf-8")
    found = re.findall(r"^\| `([a-z0-9_.<>]+)` \| (.+?) \|", page, re.MULTILINE)
    return {key: default for key, default in found if not key.endswith(".yaml")}  # not presets


def test_every_schema_key_is_documented_with_its_default():
    documented = rows()
    for name, spec in leaves(SCHEMA["properties"]):
        if spec.get("type") == "object" and "properties" in spec and name != "split.fractions":
            continue  # a section: its keys are checked one by one
        assert name in documented, f"docs/configuration.md lacks `{name}`"
        if "default" in spec and name != "models":
            assert documented[name] == f"`{shown(spec['default'])}`", (name, documented[name])


def test_documented_keys_all_exist():
    known = {name for name, _ in leaves(SCHEMA["properties"])}
    assert set(rows()) <= known, set(rows()) - known
