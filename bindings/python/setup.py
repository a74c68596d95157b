"""Builds the package with libidr.so and idr.h inside it.

`pip install ./bindings/python` runs `swift build -c release --product idr` at the repository root
and ships the result; with IDR_LIBRARY=/path/to/libidr.so it ships that file instead (for example
the self-contained one from `make lib-static`). IDR_HEADER overrides the header outside the
repository.
"""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


class BuildWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "idr"
        target.mkdir(parents=True, exist_ok=True)
        library = os.environ.get("IDR_LIBRARY")
        if not library:
            if not (ROOT / "Package.swift").exists():
                raise RuntimeError("not in the idr repository: set IDR_LIBRARY to a built libidr.so")
            subprocess.check_call(["swift", "build", "-c", "release", "--product", "idr"], cwd=ROOT)
            library = str(ROOT / ".build" / "release" / "libidr.so")
        header = os.environ.get("IDR_HEADER") or str(ROOT / "include" / "idr.h")
        shutil.copy2(library, target / "libidr.so")
        shutil.copy2(header, target / "idr.h")


setup(cmdclass={"build_py": BuildWithLibrary})
