"""What the simulator's servers (camera HTTP, centre, RTSP) do with an exception in a request's thread.

``socketserver``'s own ``handle_error`` prints the whole traceback to stderr. A client that closes its
keep-alive connection abruptly (kitchencam at the end of a run, a Ctrl-C, a test's reset) is no error
of the simulator: a line at debug level. Anything else is a bug in the simulator and keeps its
traceback, through logging.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

logger = logging.getLogger(__name__)

#: The client went away (reset, closed while the server wrote, aborted): not the simulator's fault.
CLIENT_GONE: tuple[type[OSError], ...] = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class QuietClientErrors:
    """Mixin before a ``socketserver`` server class: client hang-ups at debug level, every other
    exception logged with its traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, CLIENT_GONE):
            logger.debug("client %s closed the connection: %s", client_address, exc)
            return
        logger.error("exception while serving %s", client_address, exc_info=True)
