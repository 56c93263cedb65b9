"""What Lambda needs to skip compiling a module: a CPython 3.13, unchecked-hash `.pyc` beside it."""

from __future__ import annotations

from pathlib import Path

CPYTHON_313_MAGIC = bytes.fromhex("f30d0d0a")
UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked


def bytecode_gaps(root: Path) -> tuple[list[Path], list[Path]]:
    """(sources without a .pyc, .pyc files Lambda's 3.13 would not use as they are) under `root`."""
    missing, wrong = [], []
    for source in sorted(root.rglob("*.py")):
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        if not compiled.is_file():
            missing.append(source)
            continue
        header = compiled.read_bytes()[:8]
        if header[:4] != CPYTHON_313_MAGIC or int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
            wrong.append(compiled)
    return missing, wrong
