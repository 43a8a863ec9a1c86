"""`turnover serve --workers N` starts its workers with multiprocessing's "spawn"; uvicorn's
supervisor pings each one every half second and kills any that does not answer within 5 s.

Found (issue 11): after a kill -9 and a restart under load, a new worker was killed as hung
and replaced (about 20 s). The console script imported `cli.main`, and a spawned child
re-imports that module before the thread that answers the ping starts: the whole
application, 2 s on an idle machine, over 5 s on a busy one. The script now imports
`cli.entry`, which imports nothing; the application is imported after the ping thread runs.
"""

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import httpx

from storage.database import get_engine
from tests.reliability.server_process import turnover_server

SLOW_IMPORTS = Path(__file__).with_name("slow_imports")


def test_the_console_script_imports_no_application_code() -> None:
    (script,) = entry_points(group="console_scripts", name="turnover")
    module = script.value.split(":")[0]
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in "
    code += "('fastapi', 'sqlalchemy', 'typer', 'api', 'storage', 'workflows', 'admin')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.strip() == "[]", loaded.stderr


def test_workers_whose_import_is_slow_are_not_killed_as_hung(
    sqlite_database: str, tmp_path: Path
) -> None:
    """Each worker's import of the application is made 8 s slower than the supervisor's
    5 s health check (a busy machine): the workers still start, none is replaced."""
    url = get_engine().url.render_as_string(hide_password=False)
    env = {
        "PYTHONPATH": str(SLOW_IMPORTS),
        "TURNOVER_SLOW_IMPORT": "storage",
        "TURNOVER_SLOW_IMPORT_SECONDS": "8",
    }
    log_file = tmp_path / "server.log"
    with turnover_server(url, log_file, workers=2, env=env, console_script=True) as base_url:
        assert httpx.get(base_url + "/healthz").status_code == 200
    log = log_file.read_text()
    assert "died" not in log, log
    assert log.count("Started server process") == 2, log
