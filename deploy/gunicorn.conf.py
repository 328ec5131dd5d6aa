"""gunicorn settings of one app host: `gunicorn -c deploy/gunicorn.conf.py 'deliberation:create_app()'`.

Threads (gthread) so that a hall display's live stream holds a thread, not a whole worker. The
settings of the benchmark (bench/README.md) are these with 2 workers.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A listening socket per worker (SO_REUSEPORT), so the kernel spreads new connections over the workers.
# With one shared socket a gthread worker keeps every kept-alive connection it accepted, and one worker
# took 98-99 % of them while the other idled (bench/README.md). A worker that stops (max_requests, a
# reload) drops the connections still waiting in its own queue: the proxy's proxy_next_upstream retries
# them where it may.
reuse_port = True
# Recycle a worker now and then, so that memory a rare large export took is given back.
max_requests = 5000
max_requests_jitter = 500
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
# X-Forwarded-For/-Proto/-Host of the one proxy in front are read by the app (PROXY_FIX_HOPS=1).
