"""``python -m simlab``: the command line (see :mod:`simlab.cli`)."""

from simlab.cli import main

if __name__ == "__main__":  # pragma: no cover - exercised through subprocess in tests/test_cli.py
    raise SystemExit(main())
