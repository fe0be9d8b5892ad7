"""The command line: demo data, migrations, and clear messages on bad input."""
import subprocess
import sys

from data.database import PROJECT_DIR


def cli(*args):
    return subprocess.run([sys.executable, str(PROJECT_DIR / "cli.py"), *args], capture_output=True,
                          text=True, cwd=PROJECT_DIR, timeout=600)


def test_demo_county(tmp_path):
    result = cli("demo", "--url", f"sqlite:///{tmp_path / 'c.db'}", "--profile", "county",
                 "--cases", "1500", "--end", "2025-06-30")
    assert result.returncode == 0, result.stderr
    assert "乡镇（街道）16 个" in result.stdout and "村（社区）353 个" in result.stdout
    assert "其中部门 25 个" in result.stdout


def test_migrate_is_repeatable(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert cli("migrate", "--url", url).returncode == 0
    again = cli("migrate", "--url", url)
    assert again.returncode == 0 and "最新" in again.stdout


def test_bad_input_is_explained():
    bad_day = cli("demo", "--end", "2025-13-01", "--url", "sqlite:///:memory:")
    assert bad_day.returncode == 2 and "--end" in bad_day.stderr and "YYYY-MM-DD" in bad_day.stderr
    bad_profile = cli("demo", "--profile", "province", "--url", "sqlite:///:memory:")
    assert bad_profile.returncode == 2 and "city 或 county" in bad_profile.stderr
    no_server = cli("migrate", "--url", "postgresql://nobody@127.0.0.1:1/none")
    assert no_server.returncode == 2 and "无法连接数据库" in no_server.stderr
