"""`estatedesk dev` — the first thing a newcomer runs — starts, seeds its demo and works."""

import os
import re
import subprocess
import sys

import requests

from tests.e2e.conftest import free_port
from tests.support import estate_body, wait_for


def test_estatedesk_dev_starts_seeds_and_carries_an_estate_to_every_service(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESTATEDESK_")}
    log = tmp_path / "dev.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "estatedesk.cli",
                "dev",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "var"),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        try:
            wait_for(
                lambda: proc.poll() is not None or "Ready on" in log.read_text(),
                timeout=90,
                interval=0.2,
                what="estatedesk dev to be ready",
            )
            assert proc.poll() is None, log.read_text()
            printed = log.read_text()
            tok = re.search(r"export TOKEN=(\S+)", printed).group(1)
            headers = {"Authorization": f"Bearer {tok}"}
            base = f"http://127.0.0.1:{port}"

            demo = requests.get(f"{base}/reporting/v1/estates", headers=headers, timeout=5).json()
            assert {e["id"] for e in demo["items"]} >= {"harbour-view", "maple-court", "riverside"}

            body = estate_body()
            assert (
                requests.post(f"{base}/intake/v1/estates", json=body, headers=headers, timeout=5).status_code
                == 201
            )
            for service in ("dispatch", "callback", "reporting"):
                wait_for(
                    lambda s=service: (
                        requests.get(
                            f"{base}/{s}/v1/estates/{body['id']}", headers=headers, timeout=5
                        ).status_code
                        == 200
                    ),
                    what=f"{service} to learn it",
                )

            # `estatedesk token` run against the same data directory signs with the same secret.
            agent = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "estatedesk.cli",
                    "token",
                    "--role",
                    "agent",
                    "--group",
                    "evergreen",
                    "--estate",
                    "harbour-view",
                    "--data-dir",
                    str(tmp_path / "var"),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            mine = requests.get(
                f"{base}/intake/v1/estates", headers={"Authorization": f"Bearer {agent}"}, timeout=5
            )
            assert [e["id"] for e in mine.json()["items"]] == ["harbour-view"]
        finally:
            proc.terminate()
            proc.wait(timeout=20)
