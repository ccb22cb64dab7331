"""The base of every error whose message is complete for the user.

A stage (``zhpipe.stagerun``) or the command line prints such an error's message alone, without
a traceback, and exits 2. Each area defines its own subclasses next to the code that raises them.
"""


class UserError(Exception):
    """An error whose message names the file, key or line and says what to do."""
