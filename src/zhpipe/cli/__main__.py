"""``python -m zhpipe.cli``: the ``zhpipe`` command."""

import sys

from zhpipe.cli import main

sys.exit(main())
