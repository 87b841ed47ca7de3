"""The compiler that toolchain/provision_solc.py provided, and the solcjs shim's quirk handling."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import solcx
import yaml
from solcx.install import get_executable

ROOT = Path(__file__).resolve().parents[2]
OZ = ROOT / "node_modules" / "@openzeppelin" / "contracts"
OZ_PREFIX = "@openzeppelin/contracts/"
IMPORT = re.compile(r'^import\s+(?:\{[^}]*\}\s+from\s+)?"([^"]+)";', re.M)
SIXTY_FOUR_KIB = 64 * 1024


def _pinned_version() -> str:
    config = yaml.safe_load((ROOT / "ape-config.yaml").read_text())
    return str(config["solidity"]["version"])


def _join(importer: str, relative: str) -> str:
    parts = importer.split("/")[:-1]
    for piece in relative.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _sources(entry: str) -> dict[str, dict[str, str]]:
    """The import closure of a project contract, keyed as solc sees it."""
    sources: dict[str, dict[str, str]] = {}
    pending = [entry]
    while pending:
        key = pending.pop()
        if key in sources:
            continue
        path = OZ / key.removeprefix(OZ_PREFIX) if key.startswith(OZ_PREFIX) else ROOT / key
        text = path.read_text()
        sources[key] = {"content": text}
        pending += [_join(key, i) if i.startswith(".") else i for i in IMPORT.findall(text)]
    return sources


def _standard_json() -> str:
    return json.dumps(
        {
            "language": "Solidity",
            "sources": _sources("contracts/EMoney.sol"),
            "settings": {
                "evmVersion": "cancun",
                "optimizer": {"enabled": True, "runs": 200},
                # Every output, ASTs included: megabytes of JSON.
                "outputSelection": {"*": {"*": ["*"], "": ["ast"]}},
            },
        }
    )


def test_provisioned_compiler__reports_the_pinned_version() -> None:
    installed = [str(v) for v in solcx.get_installed_solc_versions()]
    assert _pinned_version() in installed


def test_compile__output_well_over_64_kib_through_a_pipe__is_complete() -> None:
    executable = get_executable(_pinned_version())
    done = subprocess.run(
        [str(executable), "--standard-json"],
        input=_standard_json(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) > 16 * SIXTY_FOUR_KIB
    output = json.loads(done.stdout)
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    emoney = output["contracts"]["contracts/EMoney.sol"]["EMoney"]
    assert len(emoney["evm"]["deployedBytecode"]["object"]) > 1000


def test_compile__through_py_solc_x__as_ape_solidity_does() -> None:
    output = solcx.compile_standard(json.loads(_standard_json()), solc_version=_pinned_version())
    assert "EMoney" in output["contracts"]["contracts/EMoney.sol"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run the shim")
def test_shim__drops_smt_line_and_survives_early_exit(tmp_path: Path) -> None:
    # A stand-in for solcjs with both quirks: a ">>>" line on stdout before the JSON, and
    # a large write followed at once by process.exit(), which cuts a pipe at 64 KiB.
    payload = {"contracts": {}, "padding": "x" * (10 * SIXTY_FOUR_KIB)}
    fake = tmp_path / "fake-solcjs.js"
    fake.write_text(
        "const input = require('fs').readFileSync(0, 'utf8');\n"
        "process.stdout.write('>>> Cannot retry compilation with SMT because there are no"
        " SMT solvers available.\\n');\n"
        f"process.stdout.write({json.dumps(json.dumps(payload))} + '\\n');\n"
        "process.exit(input.length > 0 ? 0 : 3);\n"
    )
    shim = tmp_path / "solc"
    template = (ROOT / "toolchain" / "solcjs-shim.sh").read_text()
    shim.write_text(template.replace("@SOLCJS@", str(fake)))
    shim.chmod(0o755)

    done = subprocess.run(
        [str(shim), "--standard-json", "--allow-paths", "/tmp", "--base-path", "."],
        input="{}" * 50_000,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == payload
