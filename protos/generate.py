"""Regenerate the committed Python stubs (and their typing stubs) from the .proto files.

Usage: python protos/generate.py [--out DIR]   (default: the repository root, i.e. into bot/coralogix/pb/)

Two APIs live side by side: IncidentsService in bot/coralogix/pb/ (package com.coralogixapis.incidents.v1)
and the Cases services in bot/coralogix/pb/cases/ (package com.coralogixapis.cases.v1).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grpc_tools import protoc

PROTOS = Path(__file__).resolve().parent
ROOT = PROTOS.parent
PACKAGE_DIR = Path("bot/coralogix/pb")
SUBPACKAGES = (Path(), Path("cases"))
INIT_TEXT = '"""Generated protobuf code; regenerate with protos/generate.py, never edit."""\n'


def generate(out: Path) -> None:
    # the mypy plugins are console scripts installed next to this interpreter
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    include = Path(protoc.__file__).parent / "_proto"
    for sub in SUBPACKAGES:
        target = out / PACKAGE_DIR / sub
        if target.exists():
            for old in target.glob("*_pb2*.py*"):
                old.unlink()
        target.mkdir(parents=True, exist_ok=True)
        files = sorted(str(p.relative_to(PROTOS)) for p in (PROTOS / PACKAGE_DIR / sub).glob("*.proto"))
        args = [
            "protoc",
            f"-I{PROTOS}",
            f"-I{include}",
            f"--python_out={out}",
            f"--mypy_out=quiet:{out}",
            *files,
        ]
        service = [f for f in files if f.endswith("_service.proto")]
        grpc_args = [*args[:3], f"--grpc_python_out={out}", f"--mypy_grpc_out=quiet:{out}", *service]
        if protoc.main(args) != 0 or protoc.main(grpc_args) != 0:
            sys.exit("protoc failed")
        init = target / "__init__.py"
        if not init.exists():
            init.write_text(INIT_TEXT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT)
    generate(parser.parse_args().out)


if __name__ == "__main__":
    main()
