"""Provide the pinned solc where py-solc-x (and so ape-solidity) looks for it.

Order of preference:
  1. a native ``solc-v<version>`` already in the py-solc-x folder;
  2. a native ``solc`` on PATH that reports the pinned version (symlinked);
  3. a native build downloaded by py-solc-x, when the download site answers;
  4. a shim over solcjs from ``node_modules/solc`` (see ``solcjs-shim.sh``).

The solcjs package and its dependencies are copied next to the shim, so the shim
keeps working when the checkout it came from is moved or deleted. Once the shim
is installed, later runs keep it without retrying the download, unless
``COINPOS_SOLC_RETRY_NATIVE=1`` is set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

SHIM_MARKER = "solc command-line shim over solcjs"
ROOT = Path(__file__).resolve().parent.parent


def pinned_version() -> str:
    config = yaml.safe_load((ROOT / "ape-config.yaml").read_text())
    try:
        return str(config["solidity"]["version"])
    except (KeyError, TypeError):
        sys.exit("ape-config.yaml has no solidity.version")


def solcx_folder() -> Path:
    folder = Path(os.environ.get("SOLCX_BINARY_PATH") or Path.home() / ".solcx")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def reported_version(executable: Path | str) -> str | None:
    try:
        out = subprocess.run(
            [str(executable), "--version"], capture_output=True, text=True, timeout=60
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"Version: ([0-9.]+)|^([0-9]+\.[0-9]+\.[0-9]+)\+", out, re.M)
    return next((g for g in match.groups() if g), None) if match else None


def is_shim(path: Path) -> bool:
    try:
        return SHIM_MARKER in path.read_text(errors="ignore")[:2000]
    except OSError:
        return False


def try_download(version: str) -> bool:
    code = f"import solcx; solcx.install_solc({version!r}, show_progress=False)"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def package_closure(node_modules: Path, name: str) -> list[str]:
    seen: list[str] = []
    stack = [name]
    while stack:
        pkg = stack.pop()
        if pkg in seen:
            continue
        seen.append(pkg)
        manifest = json.loads((node_modules / pkg / "package.json").read_text())
        stack.extend(manifest.get("dependencies", {}))
    return seen


def install_shim(target: Path, version: str) -> None:
    node_modules = ROOT / "node_modules"
    solc_manifest = node_modules / "solc" / "package.json"
    if not solc_manifest.exists():
        sys.exit("node_modules/solc is missing: run `npm ci` first")
    npm_version = json.loads(solc_manifest.read_text())["version"]
    if npm_version != version:
        sys.exit(f"node_modules/solc is {npm_version}, ape-config.yaml pins {version}")
    home = target.parent / f"solcjs-v{version}" / "node_modules"
    if home.parent.exists():
        shutil.rmtree(home.parent)
    for pkg in package_closure(node_modules, "solc"):
        shutil.copytree(node_modules / pkg, home / pkg, symlinks=True)
    template = (Path(__file__).parent / "solcjs-shim.sh").read_text()
    tmp = target.with_suffix(".tmp")
    tmp.write_text(template.replace("@SOLCJS@", str(home / "solc" / "solc.js")))
    tmp.chmod(0o755)
    tmp.replace(target)


def main() -> None:
    version = pinned_version()
    target = solcx_folder() / f"solc-v{version}"

    if target.exists() and not is_shim(target) and reported_version(target) == version:
        print(f"solc {version}: native compiler at {target}")
        return
    on_path = shutil.which("solc")
    if on_path and not is_shim(Path(on_path)) and reported_version(on_path) == version:
        target.unlink(missing_ok=True)
        target.symlink_to(on_path)
        print(f"solc {version}: native compiler from PATH ({on_path})")
        return
    retry = os.environ.get("COINPOS_SOLC_RETRY_NATIVE") == "1"
    shim_home = target.parent / f"solcjs-v{version}" / "node_modules" / "solc" / "solc.js"
    if is_shim(target) and shim_home.exists() and not retry:
        print(f"solc {version}: solcjs shim at {target} (already installed)")
        return
    if try_download(version) and not is_shim(target) and reported_version(target) == version:
        print(f"solc {version}: native compiler downloaded to {target}")
        return
    install_shim(target, version)
    if reported_version(target) != version:
        sys.exit(f"the solcjs shim at {target} does not report version {version}")
    print(f"solc {version}: solcjs shim at {target} (no native compiler could be had)")


if __name__ == "__main__":
    main()
