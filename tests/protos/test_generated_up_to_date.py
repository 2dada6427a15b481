"""The committed stubs in bot/coralogix/pb/ (and pb/cases/) are exactly what protos/generate.py makes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "bot" / "coralogix" / "pb"


def _files(top: Path) -> dict[str, bytes]:
    """Every file under `top` by its path relative to it (bytecode caches left out)."""
    return {
        str(p.relative_to(top)): p.read_bytes()
        for p in top.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_committed_stubs_match_the_protos(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "protos" / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    fresh = _files(tmp_path / "bot" / "coralogix" / "pb")
    committed = _files(GENERATED)
    assert "cases/cases_service_pb2_grpc.py" in fresh and "incidents_service_pb2_grpc.py" in fresh
    assert sorted(fresh) == sorted(committed), "a stub is missing or extra: run protos/generate.py"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale generated files (run protos/generate.py): {stale}"
