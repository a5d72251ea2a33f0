"""The archive's commands end with their objects frozen (``tool_command.QuickExit``): the
interpreter's teardown then has next to nothing to collect; what was garbage is collected first."""

from __future__ import annotations

import gc

from crawler.tool_command import ArchiveToolCommand, ExtractionCommand

FREED: list[str] = []


class _Cycle:
    """Garbage only a collection frees (it refers to itself); says so when freed."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        FREED.append("freed")


def test_a_commands_run_ends_with_its_garbage_collected_and_the_rest_frozen():
    class Probe(ExtractionCommand):
        def short_desc(self) -> str:
            return "a probe"

        def run(self, args, opts) -> None:
            _Cycle()  # garbage once made, in a cycle

    FREED.clear()
    gc.unfreeze()
    gc.disable()  # no collection of the test's own frees it
    try:
        Probe().run([], None)
        assert gc.get_freeze_count() > 0
        assert FREED == ["freed"]  # collected before the freeze, not kept frozen
    finally:
        gc.unfreeze()
        gc.enable()


def test_every_base_of_the_archives_commands_has_it():
    for base in (ArchiveToolCommand, ExtractionCommand):

        class Probe(base):  # type: ignore[valid-type,misc]
            def short_desc(self) -> str:
                return "a probe"

            def run(self, args, opts) -> None:
                pass

        gc.unfreeze()
        try:
            Probe().run([], None)
            assert gc.get_freeze_count() > 0, base
        finally:
            gc.unfreeze()
