"""Builds the folio Python package with CMake (pyproject.toml; docs/python.md).

The extension folio._folio is cmake/python.cmake's target folio_python,
built from the same sources as `cmake --build` in a CMake build tree of its
own (build-pip/, beside the repository's other build trees), for the
interpreter that runs this file."""
import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def version():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(folio VERSION ([0-9.]+)", f.read()).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        # FOLIO_CMAKE_BUILD_DIR: an existing, configured build tree to build
        # the target in (the tests use their own); else build-pip/
        build = os.environ.get("FOLIO_CMAKE_BUILD_DIR")
        if not build:
            build = os.path.join(ROOT, "build-pip")
            subprocess.check_call(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                                   "-DFOLIO_TESTS=OFF", "-DFOLIO_BENCH=OFF", "-DFOLIO_PYTHON=ON",
                                   "-DPython3_EXECUTABLE=" + sys.executable])
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        subprocess.check_call(["cmake", "--build", build, "--target", "folio_python", "-j", jobs])
        built = [f for f in os.listdir(os.path.join(build, "python", "folio")) if f.startswith("_folio.")]
        if len(built) != 1:
            raise RuntimeError("folio: expected one _folio extension in %s, found %s" % (build, built))
        dest = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(os.path.join(build, "python", "folio", built[0]), dest)
        # the Cbc/Clp backends, loaded on first use from beside the extension
        # (cmake/coin_plugin.cmake): without it a pip install would find
        # them only in the build tree it was built in
        plugin = os.path.join(build, "python", "folio", "folio_coin.so")
        if not os.path.exists(plugin):
            raise RuntimeError("folio: the COIN-OR backend plugin is missing: %s" % plugin)
        shutil.copyfile(plugin, os.path.join(os.path.dirname(dest), "folio_coin.so"))


setup(
    version=version(),
    packages=["folio"],
    package_dir={"folio": "python/folio"},
    package_data={"folio": ["bridge.lua", "kernel.lua"]},
    ext_modules=[Extension("folio._folio", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": "build-pip/setuptools"}, "egg_info": {"egg_base": "build-pip"}},
    zip_safe=False,
)
