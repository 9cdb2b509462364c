from kit.migrations import run_env
from billing.models import metadata
from billing.settings import Settings

run_env(metadata, Settings().database_url)
