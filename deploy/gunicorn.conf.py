"""gunicorn settings of one app host: `gunicorn -c deploy/gunicorn.conf.py 'deliberation:create_app()'`.

Threads (gthread) so that a hall display's live stream holds a thread, not a whole worker, and the kept-alive
connections shared evenly among the workers (deliberation.serving.FairThreadWorker). `make run`
serves with these settings (2 workers, on HOST:PORT), and so does the benchmark (bench/README.md), with
its own workers, threads and port, and no access log or recycling.
"""

import gc
import multiprocessing
import os

from deliberation.serving import child_exit, on_starting, pre_fork  # noqa: F401 -- the arbiter's hooks

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "deliberation.serving.FairThreadWorker"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# One listening socket shared by the workers (no reuse_port): FairThreadWorker accepts by the connections
# each worker holds, so kept-alive connections split evenly; with a socket per worker the kernel's hash put
# four of them on one worker one time in eight (bench/README.md), and a stopping worker dropped what waited
# in its own queue.
# Recycle a worker now and then, so that memory a rare large export took is given back.
max_requests = 5000
max_requests_jitter = 500
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # "" for none
errorlog = "-"
# X-Forwarded-For/-Proto/-Host of the one proxy in front are read by the app (PROXY_FIX_HOPS=1).


def post_worker_init(worker):
    """The app is loaded: its objects (modules, models, compiled statements, templates) live as long as the
    worker, so they are taken out of the garbage collector's sight (gc.freeze). A full collection walked all
    of them, about 230,000: 144 ms measured, a stall of every request waiting in that worker; 1 ms after."""
    gc.freeze()
