"""The registry of import kinds: one small spec per kind, grouped by area. Another area adds its kind with
a `Column` tuple, a resolver (codes in the file -> ids in the database) and `register(...)` in its module
here. Each module registers its kinds on import, in the order the import page lists them."""

# isort: off
from models.importing.kinds import followers  # noqa: F401
from models.importing.kinds import org  # noqa: F401
from models.importing.kinds import customers  # noqa: F401
from models.importing.kinds import marketing  # noqa: F401
from models.importing.kinds import campaign  # noqa: F401
from models.importing.kinds import groups  # noqa: F401
from models.importing.kinds import wecom  # noqa: F401
from models.importing.kinds import shares  # noqa: F401
from models.importing.kinds import graph  # noqa: F401
from models.importing.kinds import referrals  # noqa: F401
# isort: on
from models.importing.spec import KINDS, register

__all__ = ["KINDS", "register"]
