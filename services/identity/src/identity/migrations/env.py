from kit.migrations import run_env
from identity.models import metadata
from identity.settings import Settings

run_env(metadata, Settings().database_url)
