"""What the command-line tests share: run `annotator` in-process, and check a refusal is one `error:` line."""

from __future__ import annotations

from annotator.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``annotator ARGV...``."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_error(code: int, err: str, *fragments: str) -> None:
    """Exit 1 with exactly one line on stderr, starting ``error:`` and holding each fragment; never a traceback."""
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]
