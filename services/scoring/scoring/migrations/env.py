from ekinerja_shared.migrations import run_env

from scoring.adapters.orm import Base

run_env(Base.metadata)
