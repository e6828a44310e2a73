"""Allow `python -m aidermem`."""

from aidermem.cli.main import main

raise SystemExit(main())
