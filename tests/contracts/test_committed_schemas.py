"""The committed schemas still describe the current models, and the generated files are fresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contracts.compatibility import breaking_changes
from contracts.generate import (
    CONTRACTS_DIR,
    SCHEMA_ID_PREFIX,
    event_schema,
    main,
    rendered_files,
    schema_path,
    stale_files,
)
from contracts.registry import REGISTRY

COMMITTED = sorted((CONTRACTS_DIR / "schemas").glob("*.json"))


def test_there_are_committed_schemas() -> None:
    assert COMMITTED, "contracts/schemas/ is empty: run `python -m contracts.generate`"


@pytest.mark.parametrize("event_type", sorted(REGISTRY))
def test_every_registered_event_has_a_committed_schema(event_type: str) -> None:
    assert schema_path(event_type).is_file(), f"no committed schema for {event_type}"


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: path.stem)
def test_committed_schema_still_holds_for_the_current_model(path: Path) -> None:
    committed = json.loads(path.read_text(encoding="utf-8"))
    event_type = committed["$id"].removeprefix(SCHEMA_ID_PREFIX)
    assert event_type == path.stem
    assert event_type in REGISTRY, f"{event_type} has a schema but is no longer registered"
    assert breaking_changes(committed, event_schema(REGISTRY[event_type])) == []


def test_check_passes_on_the_committed_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert stale_files() == []
    assert main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_output_does_not_depend_on_hash_seed(hash_seed: str) -> None:
    # A fresh interpreter with another PYTHONHASHSEED reorders sets and str-keyed hashes,
    # which is how nondeterministic output would show up in CI and not on one laptop.
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, "-m", "contracts.generate", "--check"],
        cwd=CONTRACTS_DIR.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_generating_twice_writes_identical_bytes(tmp_path: Path) -> None:
    assert main([], root=tmp_path) == 0
    first = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert main([], root=tmp_path) == 0
    second = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert first == second
    assert set(first) == set(rendered_files(tmp_path))
    assert all(text.endswith(b"\n") for text in first.values())


def test_check_names_missing_changed_and_orphaned_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check"], root=tmp_path) == 1
    assert "asyncapi.yaml" in capsys.readouterr().err

    assert main([], root=tmp_path) == 0
    assert main(["--check"], root=tmp_path) == 0

    some_schema = schema_path(sorted(REGISTRY)[0], tmp_path)
    some_schema.write_text(some_schema.read_text() + " ", encoding="utf-8")
    orphan = tmp_path / "schemas" / "retired.thing.happened.v1.json"
    orphan.write_text("{}\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--check"], root=tmp_path) == 1
    err = capsys.readouterr().err
    assert some_schema.name in err
    assert orphan.name in err
    assert "asyncapi.yaml" not in err

    assert main([], root=tmp_path) == 0
    assert not orphan.exists()
    assert main(["--check"], root=tmp_path) == 0


def test_generating_refuses_to_overwrite_a_breaking_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([], root=tmp_path) == 0
    event_type = sorted(REGISTRY)[0]
    path = schema_path(event_type, tmp_path)
    committed = json.loads(path.read_text(encoding="utf-8"))
    # As if the model had lost a field that the committed schema still promises.
    committed["properties"]["legacy_note"] = {"type": "string"}
    edited = json.dumps(committed)
    path.write_text(edited, encoding="utf-8")
    capsys.readouterr()

    assert main([], root=tmp_path) == 1
    assert f"{event_type}: field 'legacy_note' was removed" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == edited

    assert main(["--accept-breaking"], root=tmp_path) == 0
    assert main(["--check"], root=tmp_path) == 0
