from certification.models import metadata
from certification.settings import Settings
from kit.migrations import run_env

run_env(metadata, Settings().database_url)
