"""Calls that could hang (a stalled server, a deadlocked worker), run so that a hang fails the test instead."""

import threading


def finishes(call, limit=60):
    """`call()`'s result (or its exception), asserting it came back within `limit` seconds rather than hanging.
    The limit only turns a hang into a failure; nothing is timed."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"the call did not finish in {limit} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
