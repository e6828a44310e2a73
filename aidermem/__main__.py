"""Allow `python -m aidermem`."""

from aidermem.cli import main

raise SystemExit(main())
