"""The ``meshfarm`` command as the SDK installs it.

The SDK and the farm both install a ``meshfarm`` script, so whichever was installed last
owns it; this entry behaves the same either way: ``meshfarm client …`` is the client, and
every other command is the farm's own when the farm is installed beside the SDK.
"""

from __future__ import annotations

import importlib
import sys


def main() -> None:
    if sys.argv[1:2] != ["client"]:
        try:
            server = importlib.import_module("broker.cli")
        except ImportError:
            sys.stderr.write(
                "meshfarm: only `meshfarm client …` comes with the SDK; "
                "the server's commands need the meshfarm farm installed.\n"
            )
            raise SystemExit(2) from None
        server.app()
        return
    client = importlib.import_module("meshfarm_client.cli")
    client.app(args=sys.argv[2:], prog_name="meshfarm client")
