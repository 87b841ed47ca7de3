"""Bad input to the flow scripts (`ape run <script>`), as a user runs them against a node of
their own: one line on stderr, exit code 2, nothing on stdout (ape's connection notice
included), and nothing written (no database, no deployment, no file).

A handful of cases, each a process of its own: the usage errors come before ape connects,
the missing deployment after it (so the connection notice would show there).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.e2e.devnet import DEPLOYER_ALIAS, running_devnet

NETWORK = ("--network", "ethereum:devnet:node")
STORE = "0x" + "ab" * 32
CASES = [
    ("capture", ("--invoice", "1", "--bogus"), "No such option: --bogus"),
    (
        "settle",
        ("--store", STORE, "--coin", "ETH", "--all", "--key", "s", "--max-rate-age", "x"),
        "'x' is not a valid integer",
    ),
    ("refund", ("--invoice", "1", "--amount", "１", "--key", "r"), "ASCII digits"),
    ("settle", ("--store", "0x12", "--coin", "ETH", "--amount", "1", "--key", "s"), "too short"),
    ("capture", ("--invoice", "1", "--account", "nosuchalias"), "nosuchalias"),
    ("capture", ("--invoice", "1", "--account", DEPLOYER_ALIAS), "no deployment artifact"),
    ("create_invoice", ("--store", STORE, "--coin", "ETH", "--amount", "1"), "no deployment"),
]


def _listing(folder: Path) -> list[str]:
    """What the scripts could write (ape's own data folder, its caches, left out)."""
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if "ape-data" not in p.parts
    )


def test_scripts__bad_input__one_line_exit_2_nothing_on_stdout(tmp_path: Path) -> None:
    with running_devnet(tmp_path) as devnet:
        before = _listing(tmp_path)
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(
                pool.map(lambda case: devnet.ape("run", case[0], *NETWORK, *case[1]), CASES)
            )
        after = _listing(tmp_path)
    for (script, args, expected), done in zip(CASES, results, strict=True):
        detail = f"{script} {' '.join(args)}\nstdout: {done.stdout!r}\nstderr: {done.stderr!r}"
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 2, detail
        assert len(lines) == 1 and lines[0].startswith("error: "), detail
        assert expected in lines[0], detail
        assert done.stdout == "", detail
    assert after == before, "a refused script wrote something"
    assert not (tmp_path / "coinpos.db").exists()
