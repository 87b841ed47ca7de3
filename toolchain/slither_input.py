"""Build the standard-JSON compiler input Slither analyses, with every source inlined.

crytic-compile's ``solc-json`` platform runs ``solc --standard-json`` on a prepared input,
which is the one mode the solcjs shim supports; solcjs has no import callback there, so the
input carries every file as ``content``: the production contracts under ``contracts/`` (not
the test doubles in ``contracts/test/``) and every OpenZeppelin file they import, found by
following the imports transitively. Source names are paths relative to the repository root,
so Slither reports them as such. The compiler settings are ape-config.yaml's.

    python toolchain/slither_input.py OUT.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = "contracts"
EXCLUDED = ("contracts/test/", "contracts/.cache/")
OZ_PREFIX = "@openzeppelin/contracts/"
OZ_SOURCES = ".deps/openzeppelin-contracts/"
IMPORT = re.compile(r'^\s*import\s+(?:[^"\';]*\s+from\s+)?["\']([^"\']+)["\']', re.MULTILINE)


class SlitherInputError(Exception):
    """An import that resolves to no file, or an ape-config.yaml without solidity settings."""


def _solidity_config(config_path: Path) -> dict[str, Any]:
    config = yaml.safe_load(config_path.read_text())
    solidity = config.get("solidity") if isinstance(config, dict) else None
    if not isinstance(solidity, dict) or "evm_version" not in solidity or "version" not in solidity:
        raise SlitherInputError(f"{config_path} has no solidity.version and evm_version")
    return solidity


def compiler_version(config_path: Path = ROOT / "ape-config.yaml") -> str:
    """The pinned compiler version of ape-config.yaml."""
    return str(_solidity_config(config_path)["version"])


def compiler_settings(config_path: Path = ROOT / "ape-config.yaml") -> dict[str, Any]:
    """The standard-JSON ``settings`` of ape-config.yaml's ``solidity`` section."""
    solidity = _solidity_config(config_path)
    return {
        "evmVersion": solidity["evm_version"],
        "optimizer": {
            "enabled": bool(solidity.get("optimize", True)),
            "runs": int(solidity.get("optimization_runs", 200)),
        },
        "viaIR": bool(solidity.get("via_ir", False)),
        "remappings": [f"{OZ_PREFIX}={OZ_SOURCES}"],
        "outputSelection": {
            "*": {"": ["ast"], "*": ["abi", "evm.bytecode", "evm.deployedBytecode"]}
        },
    }


def project_sources(root: Path = ROOT) -> list[str]:
    """The production contracts, as repository-relative source names, sorted."""
    names = (p.relative_to(root).as_posix() for p in (root / CONTRACTS).rglob("*.sol"))
    return sorted(n for n in names if not n.startswith(EXCLUDED))


def resolve(importer: str, target: str) -> str:
    """The source name an import of `target` from `importer` refers to."""
    if target.startswith(OZ_PREFIX):
        return OZ_SOURCES + target[len(OZ_PREFIX) :]
    if target.startswith("."):
        parts: list[str] = []
        for part in (PurePosixPath(importer).parent / target).parts:
            if part == "..":
                parts.pop()
            elif part != ".":
                parts.append(part)
        return "/".join(parts)
    return target


def collect(roots: list[str], root: Path = ROOT) -> dict[str, str]:
    """Every source reachable from `roots` through imports: source name -> content."""
    found: dict[str, str] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        path = root / name
        if not path.is_file():
            raise SlitherInputError(f"{name}: imported but not found (run `make setup`)")
        found[name] = path.read_text()
        pending.extend(resolve(name, target) for target in IMPORT.findall(found[name]))
    return dict(sorted(found.items()))


def build(root: Path = ROOT) -> dict[str, Any]:
    """The whole standard-JSON input."""
    sources = collect(project_sources(root), root)
    return {
        "language": "Solidity",
        "sources": {name: {"content": content} for name, content in sources.items()},
        "settings": compiler_settings(root / "ape-config.yaml"),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: slither_input.py OUT.json", file=sys.stderr)
        return 2
    try:
        document = build()
    except SlitherInputError as error:
        print(f"slither_input: {error}", file=sys.stderr)
        return 2
    Path(argv[0]).parent.mkdir(parents=True, exist_ok=True)
    Path(argv[0]).write_text(json.dumps(document, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
