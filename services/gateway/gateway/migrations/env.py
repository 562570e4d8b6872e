from ekinerja_shared.migrations import run_env

from gateway.adapters.orm import Base
import gateway.auth.orm  # noqa: F401  (sign-in tables: same metadata)

run_env(Base.metadata)
