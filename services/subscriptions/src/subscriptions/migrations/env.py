from kit.migrations import run_env
from subscriptions.models import metadata
from subscriptions.settings import Settings

run_env(metadata, Settings().database_url)
