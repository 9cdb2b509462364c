from billing.models import metadata
from billing.settings import Settings
from kit.migrations import run_env

run_env(metadata, Settings().database_url)
