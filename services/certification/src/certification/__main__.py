from kit.cli import ServiceCli
from certification.main import create_app
from certification.settings import Settings

cli = ServiceCli(package="certification", settings_factory=Settings, app_factory=create_app)

if __name__ == "__main__":
    cli.main()
