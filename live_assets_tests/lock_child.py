"""A process on a bot's token, for the token-lock tests: ``python -m live_assets_tests.lock_child hold|send N``.

Settings come from the ``LIVE_*`` variables, as in any process of the pipeline. ``hold`` takes the bot's
token lock, prints ``held`` and keeps it until killed; ``send N`` builds a ``LiveClient``, prints
``ready``, waits for a line on stdin (so that several processes start together) and sends ``N`` requests
for the group list, then prints ``done``.
"""

from __future__ import annotations

import sys

from live_assets import contract
from live_assets.client import LiveClient
from live_assets.client.token_lock import token_lock_of
from live_assets.settings import load_settings


def main(argv: list[str]) -> int:
    settings = load_settings(dotenv=False)
    assert settings.x_token is not None
    if argv[0] == "hold":
        lock = token_lock_of(settings)
        with lock.hold():
            print("held", flush=True)
            sys.stdin.read()  # until the test kills this process
        return 0
    count = int(argv[1])
    with LiveClient.from_settings(settings) as client:
        print("ready", flush=True)
        sys.stdin.readline()
        for _ in range(count):
            client.get("groups", contract.Path.GROUPS)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
