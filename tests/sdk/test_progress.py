"""The shared progress line: silent off a terminal, errors always reach the user."""

import io

from artifactsdk.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_line_is_drawn_on_a_terminal_with_count_and_eta():
    stream = Terminal()
    with Progress("detect", 4, stream=stream) as progress:
        progress.advance()
        progress.advance(detail="loss 0.5")
    text = stream.getvalue()
    assert "detect 1/4" in text and "detect 2/4 loss 0.5" in text and "eta" in text
    assert text.endswith("\r\033[K")  # closing clears the line


def test_nothing_is_written_to_a_pipe_or_when_quiet():
    pipe, quiet_terminal = io.StringIO(), Terminal()
    for progress in (Progress("x", 2, stream=pipe), Progress("x", 2, quiet=True, stream=quiet_terminal)):
        progress.advance()
        progress.note("stage done")
        progress.close()
    assert pipe.getvalue() == "" and quiet_terminal.getvalue() == ""


def test_an_error_note_is_written_even_without_a_status_line():
    pipe = io.StringIO()
    Progress("fixing", 3, stream=pipe).note("a.png: not an image", always=True)
    assert pipe.getvalue() == "a.png: not an image\n"


def test_a_note_stays_above_the_redrawn_status_line():
    stream = Terminal()
    progress = Progress("bench", 3, stream=stream)
    progress.advance()
    progress.note("segmenter ort fp32: 12.0 ms")
    assert stream.getvalue().split("segmenter ort fp32: 12.0 ms\n")[1].startswith("\r\033[Kbench 1/3")


def test_a_stage_shares_the_parent_stream_and_visibility():
    stream = Terminal()
    Progress(stream=stream).stage("segmenter b1", 5).update(3)
    assert "segmenter b1 3/5" in stream.getvalue()
    hidden = Progress(quiet=True, stream=stream).stage("x", 2)
    assert hidden.enabled is False
