"""`flask minutes export ID --format … -o PATH`."""

from __future__ import annotations

from tests.minutes.conftest import TITLE


def test_the_command_exports_each_format(app, run, tmp_path):
    runner = app.test_cli_runner()
    for fmt in ("md", "docx", "pdf"):
        path = tmp_path / f"minutes.{fmt}"
        result = runner.invoke(args=["minutes", "export", str(run.consultation.id), "--format", fmt, "-o", str(path)])
        assert result.exit_code == 0, result.output
        assert path.stat().st_size > 100
    assert TITLE in (tmp_path / "minutes.md").read_text(encoding="utf-8")
    assert (tmp_path / "minutes.pdf").read_bytes().startswith(b"%PDF")


def test_the_command_names_the_file_in_chinese_into_a_folder(app, run, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["minutes", "export", str(run.consultation.id), "--format", "xlsx", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"{TITLE}-表决结果-草稿.xlsx").exists()


def test_the_command_refuses_an_unknown_consultation(app):
    result = app.test_cli_runner().invoke(args=["minutes", "export", "999", "--format", "md"])
    assert result.exit_code != 0 and "找不到议事" in result.output
