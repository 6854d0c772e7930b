"""The live progress line: what it shows, and that it stays quiet where nobody watches a terminal."""

import io
import time

from kubeprops.progress import Progress, wanted
from kubeprops.properties.conformance import PROPERTIES
from kubeprops.properties.machine import RunStats


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_line_counts_properties_and_the_running_example():
    stream = FakeTTY()
    progress = Progress(6, stream)
    stats = RunStats(examples=4, steps=37)
    progress.begin("deployment", PROPERTIES[0], stats)
    assert progress.line().endswith("deployment/always-invariants: example 4, 37 steps")
    assert progress.line().startswith("[0/6] 00:00")
    progress.finished()
    assert progress.line().startswith("[1/6]") and "example" not in progress.line()


def test_redraws_in_place_and_clears_before_result_lines():
    stream = FakeTTY()
    with Progress(2, stream) as progress:
        progress.begin("replicaset", PROPERTIES[1], RunStats(examples=1))
        time.sleep(0.7)
    text = stream.getvalue()
    assert "\r\x1b[2K[0/2]" in text and "replicaset/settles-to-model: example 1" in text
    assert text.endswith("\r\x1b[2K")  # nothing left on the line for the next print


def test_quiet_without_a_terminal_in_ci_or_with_quiet(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert wanted(FakeTTY(), quiet=False)
    assert not wanted(io.StringIO(), quiet=False)
    assert not wanted(FakeTTY(), quiet=True)
    monkeypatch.setenv("CI", "true")
    assert not wanted(FakeTTY(), quiet=False)
