"""Entry point for `python -m core` (see core/ops/cli.py)."""

from core.ops.cli import main

raise SystemExit(main())
