from kith.cli import main

raise SystemExit(main())
