"""docs/deployment.md tells people what to type: its meshfarm commands are the CLI's, the
files and overlays it names exist, and its compose and kustomize lines name real targets."""

from __future__ import annotations

import re
import shlex

import pytest
from deploy_files import ROOT, CommandRejected, parse_meshfarm

DOC = ROOT / "docs" / "deployment.md"


def _code_lines() -> list[str]:
    blocks = re.findall(r"```\n(.*?)```", DOC.read_text(), re.S)
    joined = "\n".join(blocks).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip()]


def _meshfarm_commands() -> list[list[str]]:
    """Every `meshfarm …` typed in the page's code blocks, on its own or run in a container
    (`compose exec SERVICE meshfarm …`, `kubectl exec POD -- meshfarm …`)."""
    found = []
    for line in _code_lines():
        words = shlex.split(line)
        for start, word in enumerate(words):  # `-n meshfarm` is a namespace, not the command
            if word == "meshfarm" and (
                start == 0 or words[start - 1] == "--" or words[start - 2 : start - 1] == ["exec"]
            ):
                found.append(words[start:])
                break
    return found


def test_the_page_names_the_fleet_commands() -> None:
    commands = {" ".join(c[:3]) for c in _meshfarm_commands()}
    assert {
        "meshfarm admin create-token",
        "meshfarm worker drain",
        "meshfarm worker resume",
    } <= commands


@pytest.mark.parametrize("argv", _meshfarm_commands(), ids=shlex.join)
def test_meshfarm_commands_parse(argv: list[str]) -> None:
    assert parse_meshfarm(argv)


def test_a_wrong_command_would_be_caught() -> None:
    with pytest.raises(CommandRejected):
        parse_meshfarm(["meshfarm", "admin", "create-token", "--mail", "a@b"])


def test_named_files_exist() -> None:
    text = DOC.read_text()
    named = set(re.findall(r"`((?:infra|k8s|tests/infra)/[\w./-]+)`", text))
    named |= set(re.findall(r"(?:-f|-k|kustomize) ((?:infra|k8s)/[\w./-]+)", text))
    assert {"infra/compose.yaml", "infra/compose.cpu.yaml", "k8s/overlays/dev"} <= named
    # infra/.env is the user's own file (Compose reads it when it is there)
    missing = sorted(p for p in named - {"infra/.env"} if not (ROOT / p).exists())
    assert missing == []
