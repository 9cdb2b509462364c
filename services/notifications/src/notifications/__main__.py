from kit.cli import ServiceCli
from notifications.main import create_app
from notifications.settings import Settings

cli = ServiceCli(package="notifications", settings_factory=Settings, app_factory=create_app)

if __name__ == "__main__":
    cli.main()
