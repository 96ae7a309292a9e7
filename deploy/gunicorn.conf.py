"""Gunicorn settings for every EstateDesk web process (`estatedesk web <service>`).

Everything comes from the environment so the same file serves Docker Compose, Kubernetes
and the end-to-end tests. This file must not import project code: gunicorn reads it in the
master before the app is loaded.
"""

import glob
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"

timeout = 30
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then so a slow leak never becomes an outage; the jitter keeps
# them from all restarting at once.
max_requests = 2000
max_requests_jitter = 200

# The app writes its own JSON access log with the request id; gunicorn's would duplicate it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("ESTATEDESK_LOG_LEVEL", "info").lower()

# Behind the gateway (and a cloud load balancer in Kubernetes) the peer is never the client.
forwarded_allow_ips = "*"

# The heartbeat file is fchmod-ed constantly; on overlay/disk filesystems that can block a
# worker long enough to get it killed.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# The control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl): several
# services on one host would fight over it, and $HOME is not writable in the image.
control_socket_disable = True


def _prometheus_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def on_starting(server):
    # Files left by a previous run would be summed into this run's counters.
    path = _prometheus_dir()
    if path:
        os.makedirs(path, exist_ok=True)
        for stale in glob.glob(os.path.join(path, "*.db")):
            os.remove(stale)


def child_exit(server, worker):
    # Drops the dead worker's live gauges; its counters stay so totals never go backwards.
    if _prometheus_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
