from kit.cli import ServiceCli
from identity.main import create_app
from identity.settings import Settings

cli = ServiceCli(package="identity", settings_factory=Settings, app_factory=create_app)

if __name__ == "__main__":
    cli.main()
