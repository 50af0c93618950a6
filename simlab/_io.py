"""Readers for the user's own data files (private: use ``simlab.load_dataset(path)``)."""

from __future__ import annotations

from pathlib import Path


def load_path(path: Path, *, split=None, labels=None, classes=None, builtins=()):
    if not path.exists():
        if path.suffix == "" and len(path.parts) == 1:
            raise ValueError(
                f"unknown built-in data set {str(path)!r}: choose one of {', '.join(map(repr, builtins))}, "
                "or pass the path of a file or folder (no such file or folder here)"
            )
        raise FileNotFoundError(f"name_or_path: {str(path)!r} does not exist: check the path")
    raise NotImplementedError(f"loading {path} is not implemented yet")
