"""Flask extensions, created unbound and bound to the app in create_app()."""

from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from deliberation import limit_store  # noqa: F401 -- registers sqlitefile://, the default counter store
from deliberation.db import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Rendered fragments shared by viewers (the session page's comment list): Redis where REDIS_URL is set, else in
# the process (web.cache_settings). Keys carry the versions they depend on, so no process needs another's entries.
cache = Cache()
