from kit.cli import ServiceCli
from vehicles.main import create_app
from vehicles.settings import Settings

cli = ServiceCli(package="vehicles", settings_factory=Settings, app_factory=create_app)

if __name__ == "__main__":
    cli.main()
