from ekinerja_shared.migrations import run_env

from attendance.adapters.orm import Base

run_env(Base.metadata)
