from kit.migrations import run_env
from vehicles.models import metadata
from vehicles.settings import Settings

run_env(metadata, Settings().database_url)
