from identity.models import metadata
from identity.settings import Settings
from kit.migrations import run_env

run_env(metadata, Settings().database_url)
