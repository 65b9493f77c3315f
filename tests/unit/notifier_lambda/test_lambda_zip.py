"""bucketguard.visibility.lambda_zip: the same sources always give the same zip bytes."""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from pathlib import Path

from ansible_collections.bucketguard.visibility.plugins.modules.lambda_zip import (
    build_zip_bytes,
    collect_files,
    write_if_changed,
)

NOTIFIER = Path(__file__).resolve().parents[3] / "files" / "lambda" / "bucketguard_notifier"


def make_sources(root: Path) -> Path:
    src = root / "bucketguard_notifier"
    (src / "sub").mkdir(parents=True)
    (src / "__pycache__").mkdir()
    (src / "__init__.py").write_text("")
    (src / "handler.py").write_text("def lambda_handler(event, context):\n    return event\n")
    (src / "sub" / "rules.py").write_text("RULES = []\n")
    (src / "README.md").write_text("not packaged\n")
    (src / "__pycache__" / "handler.cpython-313.pyc").write_bytes(b"\x00compiled")
    return src


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_same_sources_in_other_folders_with_other_times_and_modes_give_same_bytes(tmp_path):
    first = make_sources(tmp_path / "a")
    second = tmp_path / "b" / "bucketguard_notifier"
    shutil.copytree(first, second)
    for i, path in enumerate(sorted(second.rglob("*.py"))):
        os.utime(path, (1_000_000_000 + i, 1_700_000_000 + i))
        path.chmod(0o755)
    data1, names1 = build_zip_bytes(str(first), "bucketguard_notifier", ["*.py"])
    data2, names2 = build_zip_bytes(str(second), "bucketguard_notifier", ["*.py"])
    assert names1 == names2
    assert sha(data1) == sha(data2)


def test_only_python_sources_in_sorted_order_under_the_root_folder(tmp_path):
    src = make_sources(tmp_path)
    data, names = build_zip_bytes(str(src), "bucketguard_notifier", ["*.py"])
    assert names == [
        "bucketguard_notifier/__init__.py",
        "bucketguard_notifier/handler.py",
        "bucketguard_notifier/sub/rules.py",
    ]
    zip_path = tmp_path / "out.zip"
    zip_path.write_bytes(data)
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert (info.external_attr >> 16) & 0o777 == 0o644
        assert archive.read("bucketguard_notifier/handler.py").startswith(b"def lambda_handler")


def test_a_changed_source_changes_the_digest(tmp_path):
    src = make_sources(tmp_path)
    before, _ = build_zip_bytes(str(src), "bucketguard_notifier", ["*.py"])
    (src / "handler.py").write_text("def lambda_handler(event, context):\n    return None\n")
    after, _ = build_zip_bytes(str(src), "bucketguard_notifier", ["*.py"])
    assert sha(before) != sha(after)


def test_write_if_changed_writes_once(tmp_path):
    dest = tmp_path / "cache" / "pkg.zip"
    assert write_if_changed(str(dest), b"one") is True
    mtime = dest.stat().st_mtime_ns
    assert write_if_changed(str(dest), b"one") is False
    assert dest.stat().st_mtime_ns == mtime
    assert write_if_changed(str(dest), b"two") is True
    assert dest.read_bytes() == b"two"
    assert [p.name for p in dest.parent.iterdir()] == ["pkg.zip"]  # no temporary file left


def test_the_real_notifier_packages_reproducibly(tmp_path):
    copy = tmp_path / "bucketguard_notifier"
    shutil.copytree(NOTIFIER, copy)
    for path in copy.rglob("*.py"):
        path.touch()
    data1, names = build_zip_bytes(str(NOTIFIER), "bucketguard_notifier", ["*.py"])
    data2, _ = build_zip_bytes(str(copy), "bucketguard_notifier", ["*.py"])
    assert sha(data1) == sha(data2)
    assert "bucketguard_notifier/handler.py" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert collect_files(str(NOTIFIER), ["*.py"]) == sorted(collect_files(str(NOTIFIER), ["*.py"]))


def test_the_package_carries_the_contract_files_and_imports_alone(tmp_path):
    """The zip the role builds (notifier + the contract files it imports) runs with nothing else on the path."""
    import subprocess
    import sys

    from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import notifier_package

    parts = notifier_package(str(NOTIFIER.parents[2]))
    include = [(i["src"], i["dest"]) for i in parts["include"]]
    data, names = build_zip_bytes(parts["src"], parts["root"], ["*.py"], include)
    assert "ansible_collections/bucketguard/visibility/plugins/module_utils/exposure.py" in names
    assert "ansible_collections/bucketguard/visibility/plugins/module_utils/cloudtrail.py" in names
    assert names == sorted(names)
    again, _ = build_zip_bytes(parts["src"], parts["root"], ["*.py"], include)
    assert sha(data) == sha(again)
    (tmp_path / "pkg.zip").write_bytes(data)
    with zipfile.ZipFile(tmp_path / "pkg.zip") as archive:
        archive.extractall(tmp_path / "run")
    # -E -s -S: no PYTHONPATH, no user site, no site-packages: only the zip's files (and the stdlib).
    code = "import bucketguard_notifier.handler as h; print(h.exposure.assess({})['public'])"
    out = subprocess.run(
        [sys.executable, "-E", "-s", "-S", "-c", code],
        cwd=tmp_path / "run",
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
