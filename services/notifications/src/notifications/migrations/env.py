from kit.migrations import run_env
from notifications.models import metadata
from notifications.settings import Settings

run_env(metadata, Settings().database_url)
