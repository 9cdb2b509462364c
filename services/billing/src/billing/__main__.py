from billing.main import create_app
from billing.settings import Settings
from kit.cli import ServiceCli

cli = ServiceCli(package="billing", settings_factory=Settings, app_factory=create_app)

if __name__ == "__main__":
    cli.main()
