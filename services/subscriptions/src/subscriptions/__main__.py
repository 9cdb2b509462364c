from kit.cli import ServiceCli
from subscriptions.main import create_app
from subscriptions.settings import Settings

cli = ServiceCli(package="subscriptions", settings_factory=Settings, app_factory=create_app)

if __name__ == "__main__":
    cli.main()
