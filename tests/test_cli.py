import io

import pytest
from sqlmodel import SQLModel

from leaddash.auth import authenticate
from leaddash.cli import main
from leaddash.db import make_engine, read_session

PASSWORD = "a-long-enough-pw"


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    return engine


def _stdin(monkeypatch, text):
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_create_user_reads_password_from_stdin(cli_db, monkeypatch, capsys):
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["create-user", "dana", "--role", "admin", "--name", "Dana Ruiz"]) == 0
    assert "Created admin 'dana'" in capsys.readouterr().out
    with read_session(cli_db) as s:
        assert authenticate(s, "dana", PASSWORD).name == "Dana Ruiz"


def test_create_user_with_unknown_role_lists_valid_roles(cli_db, monkeypatch, capsys):
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["create-user", "dana", "--role", "boss"]) == 2
    err = capsys.readouterr().err
    assert "Unknown role 'boss'" in err and "sales_manager" in err


def test_create_user_with_unknown_team_names_the_teams(cli_db, monkeypatch, capsys):
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["create-user", "dana", "--role", "rep", "--team", "Mars"]) == 2
    assert "There is no team called 'Mars'" in capsys.readouterr().err


def test_set_password_then_deactivate(cli_db, monkeypatch, capsys):
    _stdin(monkeypatch, PASSWORD + "\n")
    main(["create-user", "dana", "--role", "rep"])
    _stdin(monkeypatch, "another-long-password\n")
    assert main(["set-password", "dana"]) == 0
    with read_session(cli_db) as s:
        assert authenticate(s, "dana", "another-long-password") is not None
    assert main(["deactivate-user", "dana"]) == 0
    with read_session(cli_db) as s:
        assert authenticate(s, "dana", "another-long-password") is None
    assert main(["deactivate-user", "nobody"]) == 2
    assert "There is no user called 'nobody'" in capsys.readouterr().err


def test_password_is_not_a_command_line_option():
    with pytest.raises(SystemExit):
        main(["create-user", "dana", "--role", "rep", "--password", PASSWORD])


def test_unreachable_database_is_one_clear_line(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:topsecret@127.0.0.1:1/leads")
    assert main(["deactivate-user", "dana"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "error: LeadDash cannot reach the PostgreSQL database 'leads' on 127.0.0.1:1"
    )
    assert "topsecret" not in err and len(err.splitlines()) == 1
