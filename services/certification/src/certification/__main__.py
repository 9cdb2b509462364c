from certification.main import create_app
from certification.settings import Settings
from kit.cli import ServiceCli

cli = ServiceCli(package="certification", settings_factory=Settings, app_factory=create_app)

if __name__ == "__main__":
    cli.main()
