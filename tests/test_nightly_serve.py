"""`linkpflege serve` without PREFECT_API_URL starts its own Prefect server, and the deployment
it registers really fires: with a schedule a few seconds apart, the dataset appears."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
from local_web import LocalWeb, Reply

PAGE = (
    "<html lang='de'><title>Runder Tisch Asyl</title><main><p>Stand: 03.11.2015</p></main></html>"
)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_serve_starts_a_server_and_the_schedule_fires(tmp_path: Path):
    with LocalWeb() as web:
        web.route("/runder-tisch", Reply.html(PAGE))
        catalog = tmp_path / "catalog.csv"
        catalog.write_text(
            "entry_id,provider,title,link_label,url\n"
            f"runder-tisch,Landeshauptstadt Düsseldorf,Runder Tisch Asyl,Konzept,"
            f"{web.url('/runder-tisch')}\n",
            encoding="utf-8",
        )
        data_dir = tmp_path / "data"
        env = dict(os.environ)
        env.pop("PREFECT_API_URL", None)
        env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
        # Make the server's scheduler and the runner's polling quick enough for a test.
        env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] = "2"
        env["PREFECT_RUNNER_POLL_FREQUENCY"] = "2"
        log_path = tmp_path / "serve.log"
        linkpflege = Path(sys.executable).with_name("linkpflege")
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    str(linkpflege),
                    "serve",
                    "--catalog",
                    str(catalog),
                    "--data-dir",
                    str(data_dir),
                    "--allow-private-addresses",
                    "--interval-seconds",
                    "3",
                    "--no-ui",
                ],
                cwd=tmp_path,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            try:
                links = data_dir / "curated" / "links.parquet"
                deadline = time.monotonic() + 150
                while not links.exists() and time.monotonic() < deadline:
                    assert process.poll() is None, log_path.read_text(errors="replace")
                    time.sleep(1)
                output = log_path.read_text(errors="replace")
                assert links.exists(), output
                rows = pq.read_table(links).to_pylist()
                assert [r["health"] for r in rows] == ["ok"]
                match = re.search(r"local Prefect server on http://127\.0\.0\.1:(\d+)/api", output)
                assert match, output
                port = int(match.group(1))
                assert _port_open(port)
                assert "serving deployment linkpflege-nightly/nightly" in output

                # `linkpflege run` with PREFECT_API_URL set uses that server, no temporary one.
                run_env = dict(env, PREFECT_API_URL=f"http://127.0.0.1:{port}/api")
                run = subprocess.run(
                    [
                        str(linkpflege),
                        "run",
                        "--catalog",
                        str(catalog),
                        "--data-dir",
                        str(tmp_path / "other"),
                        "--allow-private-addresses",
                        "--now",
                        "2026-11-26",
                    ],
                    cwd=tmp_path,
                    env=run_env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    stdin=subprocess.DEVNULL,
                )
                assert run.returncode == 0, run.stderr
                assert "Starting temporary server" not in run.stderr
                assert f"127.0.0.1:{port}" in run.stderr  # the flow run's link into that server
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    raise
        output = log_path.read_text(errors="replace")
        assert "local Prefect server stopped" in output
        assert not _port_open(port)
