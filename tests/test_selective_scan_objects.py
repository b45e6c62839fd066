"""scripts/selective_scan_objects.py: objects compiled on one machine, linked on the GPU machine,
refused there when they were compiled for another torch (a clear error, not a crash at import)."""

import importlib.util
import io
import json
import re
import tarfile
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "selective_scan_objects.py"
spec = importlib.util.spec_from_file_location("selective_scan_objects", SCRIPT)
sso = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sso)


def _tar(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_the_sources_come_from_the_sdists_selective_scan_folder(tmp_path):
    sdist = _tar(tmp_path / "mamba_ssm-9.tar.gz", {"mamba_ssm-9/csrc/selective_scan/selective_scan.cpp": "//",
                                                    "mamba_ssm-9/csrc/selective_scan/a_fwd.cu": "//",
                                                    "mamba_ssm-9/setup.py": "#"})
    src = sso.unpack_sources(sdist, tmp_path / "work")
    assert sorted(p.name for p in src.iterdir()) == ["a_fwd.cu", "selective_scan.cpp"]
    with pytest.raises(SystemExit, match="not a mamba-ssm sdist"):
        sso.unpack_sources(_tar(tmp_path / "other.tar.gz", {"x/setup.py": "#"}), tmp_path / "w2")


def test_link_refuses_objects_compiled_for_another_torch(tmp_path):
    sdist = _tar(tmp_path / "mamba_ssm-9.tar.gz", {"mamba_ssm-9/csrc/selective_scan/selective_scan.cpp": "//"})
    manifest = {"torch": "0.0.1+other", "arch": "90"}
    objects = _tar(tmp_path / "objects.tgz", {"objects/manifest.json": json.dumps(manifest)})
    args = type("Args", (), {"sdist": sdist, "objects": objects, "out": tmp_path / "out"})
    with pytest.raises(SystemExit, match=re.escape(f"torch 0.0.1+other, this is {torch.__version__}")):
        sso.link(args)
    assert not (tmp_path / "out").exists()
