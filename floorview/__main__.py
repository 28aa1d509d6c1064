from floorview.cli import main

raise SystemExit(main())
