"""A batch's files: the input checked whole then streamed; results appended whole, resumed."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest

from darkai_sdk._batch._output import OutputError, ResultsFile, encode_result
from darkai_sdk.batch import BatchError, BatchInputError, BatchResult, BatchRow, read_input

pytestmark = pytest.mark.timeout(30)


def write_lines(path: Path, *lines: str | bytes) -> Path:
    path.write_bytes(
        b"".join((ln if isinstance(ln, bytes) else ln.encode()) + b"\n" for ln in lines)
    )
    return path


def row(row_id: Any, **fields: Any) -> str:
    return json.dumps({"id": row_id, **fields})


def result(row_id: Any, text: str = "done", error: BatchError | None = None) -> BatchResult:
    return BatchResult(row_id, "gpt-4o", text, error, 0.25, 0)


FAILED = BatchError("IncompleteStreamError", "cut", None)


# -- the input ------------------------------------------------------------------------


def test_every_bad_line_is_listed_with_what_is_wrong(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "in.jsonl",
        row("a", prompt="fine"),  # 1
        "{not json",  # 2
        row(None, prompt="x")[:-1] + ', "id2": 1}',  # 3: id null
        json.dumps({"prompt": "no id"}),  # 4
        row("a", prompt="again"),  # 5: duplicate
        row("b"),  # 6: neither
        row("c", prompt="p", messages=[]),  # 7: both
        row("d", prompt="p", model="gpt-9"),  # 8: unknown model
        row("e", prompt="   "),  # 9: empty
        row("f", messages=[{"role": "user"}]),  # 10: no content
        b'{"id": "g", "prompt": "\xff"}',  # 11: not UTF-8
        "[1, 2]",  # 12: not an object
        "",  # 13: blank, skipped
        row(True, prompt="p"),  # 14: boolean id
        row("h", prompt="\ud800"),  # 15: a lone surrogate, which cannot be sent
        row("i", prompt="ok", model="llama-3.1-70b"),  # 16: an alias is fine
        row("d", prompt="p"),  # 17: the bad line 8's id, again
    )
    with pytest.raises(BatchInputError) as caught:
        read_input(path)
    error = caught.value
    found = dict(error.problems)
    assert sorted(found) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 17]
    assert found[2].startswith("not JSON:")
    assert found[3] == "id must be a string or an integer, not null"
    assert found[4] == "no id"
    assert found[5] == "duplicate id 'a' (first on line 1)"
    assert found[6] == "neither prompt nor messages: give exactly one"
    assert found[7] == "both prompt and messages: give exactly one"
    assert found[8] == "unknown model 'gpt-9'"
    assert found[9] == "the prompt is empty"
    assert found[10] == "messages[0]: 'content' is missing"
    assert found[11] == "not UTF-8: the byte 0xFF at column 24"
    assert found[12] == "expected a JSON object, got an array"
    assert found[14] == "id must be a string or an integer, not a boolean"
    assert "lone surrogate" in found[15]
    assert found[17] == "duplicate id 'd' (first on line 8)"
    assert error.count == 14
    assert error.lines == [(2, 12), (14, 15), (17, 17)]
    assert str(error) == f"{path}: 14 bad lines: 2-12, 14-15, 17"


def test_a_good_file_streams_its_rows_in_order_skipping_some(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "in.jsonl",
        "\ufeff" + row(1, prompt="one"),  # a byte-order mark is allowed
        "",
        row("two", messages=[{"role": "user", "content": "hi"}], model="gpt-4o"),
        row("three", prompt="three", extra={"kept": "out"}),
    )
    source = read_input(path, model="gpt-3.5-turbo", system="Be brief.")
    assert source.count == 3 and source.ids == {1, "two", "three"}
    rows = list(source.rows(skip={"two"}))
    system = {"role": "system", "content": "Be brief."}
    assert rows == [
        BatchRow(1, [system, {"role": "user", "content": "one"}], "gpt-3.5-turbo"),
        BatchRow("three", [system, {"role": "user", "content": "three"}], "gpt-3.5-turbo"),
    ]
    plain = list(read_input(path).rows())
    assert [r.messages for r in plain][0::2] == ["one", "three"]
    assert plain[1].model == "gpt-4o"


def test_a_file_changed_after_the_check_is_refused(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "in.jsonl", row("a", prompt="one"))
    source = read_input(path)
    write_lines(path, row("a", prompt="one"), row("b", prompt="two"))
    with pytest.raises(BatchInputError, match="changed after it was checked"):
        list(source.rows())


def test_only_the_first_problems_keep_their_message(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "in.jsonl", *["nope"] * 120)
    with pytest.raises(BatchInputError) as caught:
        read_input(path)
    assert caught.value.count == 120 and len(caught.value.problems) == 50
    assert caught.value.lines == [(1, 120)]


def test_the_input_must_be_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file: the input is read twice"):
        read_input(fifo)  # refused at once, not a wait for a writer
    with pytest.raises(ValueError, match="not a regular file"):
        read_input(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_input(tmp_path / "missing.jsonl")


# -- the results file -----------------------------------------------------------------


def lines_of(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]


def test_each_result_is_one_write_of_one_whole_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.jsonl"
    writes: list[bytes] = []
    real_write = os.write

    def recording_write(fd: int, data: bytes) -> int:
        writes.append(bytes(data))
        return real_write(fd, data)

    results = ResultsFile.open(str(path), resume=False)
    monkeypatch.setattr(os, "write", recording_write)
    try:
        results.write(result("a", "line\nbreak \u2028 sep"))
        results.write(result(2, "partial", FAILED))
    finally:
        monkeypatch.undo()
        results.close()
    assert len(writes) == 2 and all(w.endswith(b"\n") and w.count(b"\n") == 1 for w in writes)
    assert b"".join(writes) == path.read_bytes()
    assert "\u2028" not in path.read_text("utf-8")  # escaped: splitlines() cannot split it
    assert lines_of(path) == [
        {
            "id": "a",
            "model": "gpt-4o",
            "text": "line\nbreak \u2028 sep",
            "error": None,
            "elapsed_s": 0.25,
            "retries": 0,
        },
        {
            "id": 2,
            "model": "gpt-4o",
            "text": "partial",
            "error": {"type": "IncompleteStreamError", "message": "cut", "status": None},
            "elapsed_s": 0.25,
            "retries": 0,
        },
    ]


def test_a_write_cut_short_is_taken_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.jsonl"
    results = ResultsFile.open(str(path), resume=False)
    results.write(result("kept"))
    real_write = os.write
    calls = 0

    def full_disk(fd: int, data: bytes) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            return real_write(fd, data[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(OSError, match="No space left"):
        results.write(result("lost"))
    monkeypatch.undo()
    results.close()
    assert [line["id"] for line in lines_of(path)] == ["kept"]


def test_a_non_empty_file_is_never_written_without_resume(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "out.jsonl", json.dumps(result("a").to_dict()))
    before = path.read_bytes()
    with pytest.raises(OutputError, match=r"already holds results .* --resume continues it"):
        ResultsFile.open(str(path), resume=False)
    assert path.read_bytes() == before
    ResultsFile.open(str(tmp_path / "empty.jsonl"), resume=False).close()


def test_resume_drops_failed_lines_and_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    done, failed, other = result("a"), result("b", "part", FAILED), result("zz", "x", FAILED)
    torn = encode_result(result("c"))[:-9]
    path.write_bytes(encode_result(done) + encode_result(failed) + encode_result(other) + torn)
    os.chmod(path, 0o640)
    results = ResultsFile.open(str(path), resume=True, ids={"a", "b", "c"})
    try:
        assert results.done == {"a"}
        assert results.rerun == {"b"}  # "zz" is not an input id: its line stays
        assert results.torn_bytes == len(torn)
        results.write(result("b", "whole now"))
    finally:
        results.close()
    assert [(line["id"], line["text"]) for line in lines_of(path)] == [
        ("a", "done"),
        ("zz", "x"),
        ("b", "whole now"),
    ]
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no copy left behind


def test_resume_refuses_a_file_with_lines_that_are_not_results(tmp_path: Path) -> None:
    good = json.dumps(result("a").to_dict())
    path = write_lines(tmp_path / "out.jsonl", good, "garbage", '{"id": "b"}', good, "[]")
    before = path.read_bytes()
    with pytest.raises(OutputError, match=r"lines 2-3, 5 are not results"):
        ResultsFile.open(str(path), resume=True, ids={"a"})
    assert path.read_bytes() == before


def test_two_batches_cannot_write_one_file(tmp_path: Path) -> None:
    path = str(tmp_path / "out.jsonl")
    first = ResultsFile.open(path, resume=False)
    try:
        with pytest.raises(OutputError, match="being written by another batch"):
            ResultsFile.open(path, resume=True)
    finally:
        first.close()
    ResultsFile.open(path, resume=True).close()  # free again once closed


def test_a_lone_surrogate_in_a_text_is_written_escaped(tmp_path: Path) -> None:
    line = encode_result(result("s", "half \ud83d"))
    assert line.endswith(b"\n") and b"\\ud83d" in line
    assert json.loads(line)["text"] == "half \ud83d"
