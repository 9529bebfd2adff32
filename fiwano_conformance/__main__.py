from fiwano_conformance.cli import main

raise SystemExit(main())
