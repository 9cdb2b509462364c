from kit.migrations import run_env
from certification.models import metadata
from certification.settings import Settings

run_env(metadata, Settings().database_url)
