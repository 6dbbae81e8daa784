"""``winroom-backend`` as operators run it (a subprocess): a bad data dir or SQLite directory
is one line naming the setting and exit 2 (CONTRACT §2), and the long-running commands log
to ``<data dir>/logs/<command>.log``."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from backend.server import free_port
from backend.settings import SettingsError, load_settings

PASSWORD = "a-long-enough-password\n"


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WINROOM_")}
    env.update({f"WINROOM_{k}": v for k, v in settings.items()})
    return env


def _run(argv: list[str], cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *argv],
        env=_env(**settings),
        cwd=cwd,  # no developer .env
        input=PASSWORD,
        capture_output=True,
        text=True,
        timeout=60,
    )


COMMANDS = [
    ["serve", "--port", "1"],
    ["worker"],
    ["migrate"],
    ["simulate", "--count", "1"],
    ["create-user", "--email", "a@b.co", "--name", "A", "--role", "sales", "--password-stdin"],
]


def _assert_one_line(proc: subprocess.CompletedProcess[str], setting: str) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"winroom-backend: {setting}: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_a_data_dir_under_a_plain_file(argv: list[str], tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("not a directory")
    proc = _run(argv, tmp_path, DATA_DIR=str(tmp_path / "plain" / "data"))
    _assert_one_line(proc, "WINROOM_DATA_DIR")


def test_a_data_dir_that_is_a_plain_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("not a directory")
    proc = _run(["migrate"], tmp_path, DATA_DIR=str(tmp_path / "plain"))
    assert "not a directory" in _assert_one_line(proc, "WINROOM_DATA_DIR")


@pytest.mark.parametrize("argv", [["migrate"], ["serve", "--port", "1"]], ids=lambda a: a[0])
def test_a_data_dir_that_cannot_be_created(argv: list[str], tmp_path: Path) -> None:
    proc = _run(argv, tmp_path, DATA_DIR="/proc/nope/x")
    assert "/proc/nope/x" in _assert_one_line(proc, "WINROOM_DATA_DIR")


def test_demo_data_dir_flag_under_a_plain_file_names_the_flag(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("not a directory")
    proc = _run(["demo", "--data-dir", str(tmp_path / "plain" / "demo")], tmp_path)
    _assert_one_line(proc, "--data-dir")


@pytest.mark.parametrize(
    ("setting", "argv"),
    [
        ("DATABASE_URL", ["migrate"]),
        ("DATABASE_URL", ["serve", "--port", "1"]),
        ("CORE_DATABASE_URL", ["simulate", "--count", "1"]),
        ("CORE_DATABASE_URL", ["worker"]),
    ],
)
@pytest.mark.parametrize("where", ["plain/win.db", "plain/sub/win.db"])
def test_a_sqlite_url_under_a_plain_file(
    setting: str, argv: list[str], where: str, tmp_path: Path
) -> None:
    (tmp_path / "plain").write_text("not a directory")
    url = f"sqlite+aiosqlite:///{tmp_path / where}"
    proc = _run(argv, tmp_path, DATA_DIR=str(tmp_path / "data"), **{setting: url})
    _assert_one_line(proc, f"WINROOM_{setting}")


def test_settings_create_the_data_dir_and_sqlite_directories(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    win = tmp_path / "dbs" / "win" / "w.db"
    core = tmp_path / "dbs" / "core" / "c.db"
    load_settings(
        data_dir=data, database_url=f"sqlite:///{win}", core_database_url=f"sqlite:///{core}"
    )
    assert data.is_dir() and win.parent.is_dir() and core.parent.is_dir()
    assert not win.exists()  # only the directories: the files are the engines' business


def test_an_unset_sqlite_url_blames_the_data_dir(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("")
    with pytest.raises(SettingsError, match=r"^WINROOM_DATA_DIR: "):
        load_settings(data_dir=tmp_path / "plain")


def _wait_for(path: Path, text: str, proc: subprocess.Popen[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text(encoding="utf-8") if path.exists() else ""
        if text in content:
            return content
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(0.2)
    pytest.fail(f"{text!r} never appeared in {path}")


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("argv", "startup"),
    [
        (["serve", "--port", "0", "--no-worker"], "Uvicorn running on"),
        (["worker"], "worker polling"),
    ],
    ids=["serve", "worker"],
)
def test_long_running_commands_log_to_the_data_dir(
    argv: list[str], startup: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = _env(DATA_DIR=str(data))
    if argv[0] == "serve":
        argv[2] = str(free_port())
    else:  # the worker needs a migrated database
        migrated = subprocess.run(
            [sys.executable, "-m", "backend.cli", "migrate"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
        )
        assert migrated.returncode == 0, migrated.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", *argv],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log = data / "logs" / f"{argv[0]}.log"  # each command its own file
    try:
        content = _wait_for(log, startup, proc)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert startup in out  # stderr keeps everything too
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    line = next(line for line in content.splitlines() if startup in line)
    assert f" {argv[0]}[{proc.pid}] " in line  # the command and process in each line


def test_a_log_dir_that_cannot_be_created_is_one_warning(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)  # private already: no warning about its mode
    (data / "logs").write_text("a plain file where the log dir would be")
    env = _env(DATA_DIR=str(data))
    # on an unmigrated database the worker stops at once, after setting up its logging
    proc = subprocess.run(
        [sys.executable, "-m", "backend.cli", "worker"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, proc.stderr
    assert lines[0].startswith("winroom-backend: warning: cannot write the log file")
    assert "winroom-backend migrate" in lines[1]


# ---- the secret and the modes of what the data dir holds ---------------------------------


def _tree_modes(root: Path) -> dict[str, int]:
    """``{path relative to root: permission bits}`` of root and everything under it."""
    modes = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        modes[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return modes


def _assert_private(root: Path, *must: str) -> dict[str, int]:
    modes = _tree_modes(root)
    for name in must:
        assert name in modes, (name, sorted(modes))
    for name, mode in modes.items():
        want = 0o700 if (root / name).is_dir() else 0o600
        assert mode == want, f"{name}: {mode:04o}, not {want:04o} ({modes})"
    return modes


@pytest.mark.parametrize("content", ["", "too-short-a-secret\n"], ids=["empty", "short"])
@pytest.mark.parametrize(
    "argv", [["serve", "--port", "1"], ["demo", "--port", "1"]], ids=lambda a: a[0]
)
def test_an_empty_or_short_secret_file_stops_the_signing_commands(
    argv: list[str], content: str, tmp_path: Path
) -> None:
    """It used to start, and every login was a 500."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "jwt_secret").write_text(content)
    (data / "jwt_secret").chmod(0o600)
    if argv[0] == "demo":
        argv = [*argv, "--data-dir", str(data)]
    proc = _run(argv, tmp_path, DATA_DIR=str(data))
    line = _assert_one_line(proc, "--data-dir" if argv[0] == "demo" else "WINROOM_DATA_DIR")
    assert f"the JWT secret file {data / 'jwt_secret'}" in line
    assert (data / "jwt_secret").read_text() == content  # left as it was
    assert not (data / "winroom.db").exists()  # stopped before anything else


@pytest.mark.e2e
def test_every_file_the_backend_writes_in_the_data_dir_is_private(tmp_path: Path) -> None:
    """Password hashes, customer emails, chat and the secret: the data dir 0700, each file
    0600, also the SQLite -wal/-shm and the log a running server writes."""
    data = tmp_path / "data"
    env = {"DATA_DIR": str(data)}
    user = ["create-user", "--email", "lead@corp.com", "--name", "L", "--role", "admin"]
    for argv in (
        ["migrate"],
        [*user, "--password-stdin"],
        ["device-token", "--name", "Floor TV 1"],
        ["simulate", "--count", "5", "--seed", "3"],
    ):
        done = _run(argv, tmp_path, **env)
        assert done.returncode == 0, done.stderr
        assert "warning" not in done.stderr
    _assert_private(data, "winroom.db", "core.db")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
        env=_env(**env),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(data / "logs" / "serve.log", "Uvicorn running on", proc)
        url = f"http://127.0.0.1:{port}"
        login = httpx.post(
            f"{url}/api/auth/login",
            json={"email": "lead@corp.com", "password": PASSWORD.strip()},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        deadline = time.monotonic() + 60  # the worker ingests the simulated sales
        while not httpx.get(f"{url}/api/queue", headers=headers, timeout=30).json()["items"]:
            assert time.monotonic() < deadline, "nothing was ingested"
            time.sleep(0.2)
        running = _assert_private(
            data, "jwt_secret", "winroom.db-wal", "winroom.db-shm", "logs", "logs/serve.log"
        )
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "was open to other users" not in out
    _assert_private(data, "jwt_secret", "logs/serve.log")
    assert "winroom.db-wal" in running


@pytest.mark.e2e
def test_the_demo_data_dir_is_private(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backend.cli",
            "demo",
            "--port",
            str(free_port()),
            "--data-dir",
            data,
        ],
        env=_env(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(data / "demo-credentials.json", "tv_token", proc, timeout=100)
        _assert_private(data, "demo-credentials.json", "jwt_secret", "winroom.db")
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _assert_private(data, "demo-credentials.json", "logs/demo.log")


def test_an_existing_data_dir_open_to_others_is_made_private_once(tmp_path: Path) -> None:
    """What an older version left (0755 dir, 0644 databases and logs) is tightened at the
    next start, with one warning; files Win Room does not keep there are left alone."""
    data = tmp_path / "data"
    (data / "logs").mkdir(parents=True)
    data.chmod(0o755)
    (data / "logs").chmod(0o755)
    for name in ("winroom.db", "winroom.db-wal", "core.db", "jwt_secret", "logs/serve.log"):
        (data / name).write_text("")
        (data / name).chmod(0o644)
    (data / "jwt_secret").write_text("k" * 64)
    (data / "notes.txt").write_text("the operator's own file")
    (data / "notes.txt").chmod(0o644)
    first = _run(["migrate"], tmp_path, DATA_DIR=str(data))
    assert first.returncode == 0, first.stderr
    [warning] = first.stderr.splitlines()
    assert warning == (
        f"winroom-backend: warning: the data dir {data} was open to other users (mode 0755);"
        " it is now 0700"
    )
    modes = _tree_modes(data)
    assert modes.pop("notes.txt") == 0o644
    assert all(m == (0o700 if (data / n).is_dir() else 0o600) for n, m in modes.items()), modes
    again = _run(["migrate"], tmp_path, DATA_DIR=str(data))
    assert again.returncode == 0 and again.stderr == "", again.stderr
