"""Fixtures of the deploy tests: the installed tools and both overlays rendered once."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from deploy_support import INSTALL_TOOLS, OVERLAYS, REPO, DeployTools, Rendered


@pytest.fixture(scope="session")
def deploy_tools() -> DeployTools:
    """kubectl, kubernetes-validate, checkov and the Gateway API schemas, installed on first use
    (a few minutes on a fresh machine; a hash check afterwards)."""
    result = subprocess.run(
        ["bash", str(INSTALL_TOOLS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, f"{INSTALL_TOOLS} failed:\n{result.stdout}\n{result.stderr}"
    return DeployTools(REPO / ".venv-deploy-tools")


@pytest.fixture(scope="session")
def rendered(
    deploy_tools: DeployTools, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Rendered]:
    """Each overlay rendered by `kubectl kustomize`, as objects and as a file for the tools."""
    folder = tmp_path_factory.mktemp("rendered")
    overlays = {}
    for name, directory in OVERLAYS.items():
        result = subprocess.run(
            [str(deploy_tools.kubectl), "kustomize", str(directory)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
        path = folder / f"{name}.yaml"
        path.write_text(result.stdout, encoding="utf-8")
        docs = tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)
        overlays[name] = Rendered(name, path, docs)
    return overlays
